"""The channels part of the operator API: every route relays to the channels service's own
path and method, reads are open to viewers, writes need an operator, bad bodies and
parameters are refused here (422) before the service is bothered, and secrets are never
echoed."""

from __future__ import annotations

import pytest

from gateway_stubs import OPERATOR, VIEWER

pytestmark = pytest.mark.unit

SHOP_ORDER = "6f1c2b8e-3a4d-4e5f-8a9b-0c1d2e3f4a5b"
FULFILLMENT = "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"
CONNECTOR = {"channel": "shopify", "shop": "acme.myshopify.com", "admin_url": "https://acme.myshopify.com/",
             "webhook_secret": "whsec_0123456789", "admin_token": "shpat_abc"}

# (method, gateway path, body, channels path, query the service gets)
WRITES = [
    ("POST", "/api/connectors", CONNECTOR, "/connectors", {}),
    ("DELETE", "/api/connectors/shopify/acme", None, "/connectors/shopify/acme", {}),
    ("POST", "/api/connectors/etsy/acme/disable", None, "/connectors/etsy/acme/disable", {}),
    ("POST", "/api/connectors/etsy/acme/enable", None, "/connectors/etsy/acme/enable", {}),
    ("POST", "/api/connectors/woocommerce/acme/rotate-secret", {"webhook_secret": "new-secret-123"},
     "/connectors/woocommerce/acme/rotate-secret", {}),
    ("POST", "/api/connectors/shopify/acme/reconcile", {"since": "2026-01-01T00:00:00Z"},
     "/connectors/shopify/acme/reconcile", {}),
    ("DELETE", "/api/connectors/shopify/acme/sku-map/variant:808950810", None,
     "/connectors/shopify/acme/sku-map/variant:808950810", {}),
    ("POST", f"/api/shop-orders/{SHOP_ORDER}/retry", None, f"/shop-orders/{SHOP_ORDER}/retry", {}),
    ("POST", f"/api/fulfillments/{FULFILLMENT}/retry", None, f"/fulfillments/{FULFILLMENT}/retry", {}),
]
READS = [
    ("GET", "/api/connectors", None, "/connectors", {}),
    ("GET", "/api/connectors/etsy/acme", None, "/connectors/etsy/acme", {}),
    ("GET", "/api/connectors/etsy/acme/sku-map", None, "/connectors/etsy/acme/sku-map", {}),
    ("GET", "/api/shop-orders?status=needs_mapping&channel=woocommerce&attention=true",
     None, "/shop-orders", {"status": "needs_mapping", "channel": "woocommerce", "attention": "true",
                            "limit": "50", "offset": "0"}),
    ("GET", f"/api/shop-orders/{SHOP_ORDER}", None, f"/shop-orders/{SHOP_ORDER}", {}),
    ("GET", "/api/deliveries?shop=acme&limit=5", None, "/deliveries", {"shop": "acme", "limit": "5"}),
    ("GET", "/api/fulfillments?status=failed", None, "/fulfillments", {"status": "failed", "limit": "100"}),
]


def last_call(state) -> dict:
    return state["channels_calls"][-1]


@pytest.mark.parametrize(("method", "path", "body", "service_path", "query"), WRITES + READS,
                         ids=[f"{m} {p}" for m, p, *_ in WRITES + READS])
async def test_operator_call_is_relayed_to_the_channels_service(gateway, state, method, path, body, service_path,
                                                                query):
    resp = await gateway.request(method, path, json=body, headers=OPERATOR)
    assert resp.status_code == (204 if method == "DELETE" else 200), resp.text
    call = last_call(state)
    assert (call["method"], call["path"], call["query"]) == (method, service_path, query)
    assert call["body"] == body


@pytest.mark.parametrize(("method", "path", "body", "service_path", "query"), WRITES,
                         ids=[f"{m} {p}" for m, p, *_ in WRITES])
async def test_viewer_may_not_change_channels(gateway, state, network, method, path, body, service_path, query):
    resp = await gateway.request(method, path, json=body, headers=VIEWER)
    assert resp.status_code == 403
    assert network.calls == []


@pytest.mark.parametrize(("method", "path", "body", "service_path", "query"), READS,
                         ids=[f"{m} {p}" for m, p, *_ in READS])
async def test_viewer_may_read_channels(gateway, state, method, path, body, service_path, query):
    resp = await gateway.request(method, path, headers=VIEWER)
    assert resp.status_code == 200
    assert last_call(state)["path"] == service_path


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/api/connectors", {**CONNECTOR, "channel": "amazon"}),
    ("POST", "/api/connectors", {**CONNECTOR, "shop": "has space"}),
    ("POST", "/api/connectors", {**CONNECTOR, "admin_url": "not a url"}),
    ("POST", "/api/connectors", {**CONNECTOR, "webhook_secret": "short"}),
    ("POST", "/api/connectors", {**CONNECTOR, "token_expires_at": "soon"}),
    ("POST", "/api/connectors", {**CONNECTOR, "rules": {"hold_unpaid": "maybe"}}),
    ("POST", "/api/connectors", {**CONNECTOR, "rules": {"unknown_rule": True}}),
    ("POST", "/api/connectors", {**CONNECTOR, "password": "x"}),
    ("POST", "/api/connectors/etsy/acme/rotate-secret", {}),
    ("POST", "/api/connectors/etsy/acme/rotate-secret", {"webhook_secret": "short"}),
    ("POST", "/api/connectors/etsy/acme/reconcile", {"since": "yesterday"}),
    ("POST", "/api/connectors/etsy/acme/sku-map", {}),
    ("POST", "/api/connectors/etsy/acme/sku-map", {"variant:1": {"unit": "pcs"}}),
    ("POST", "/api/connectors/etsy/acme/sku-map", {"variant:1": {"ignore": True, "sku": "SOAP"}}),
    ("POST", "/api/connectors/etsy/acme/sku-map", {"SHOP-1": {"sku": "SOAP", "per_item": "0"}}),
    ("POST", "/api/connectors/etsy/acme/sku-map", {"SHOP-1": {"sku": "SOAP", "unit": "crates"}}),
    ("POST", "/api/connectors/amazon/acme/disable", None),
    ("POST", "/api/shop-orders/not-a-uuid/retry", None),
    ("POST", "/api/fulfillments/42/retry", None),
])
async def test_bad_channels_write_is_422_at_the_gateway(gateway, network, method, path, body):
    resp = await gateway.request(method, path, json=body, headers=OPERATOR)
    assert resp.status_code == 422, resp.text
    assert network.calls == []


@pytest.mark.parametrize("path", [
    "/api/shop-orders?status=lost", "/api/shop-orders?limit=0", "/api/shop-orders?limit=501",
    "/api/shop-orders?offset=-1", "/api/shop-orders?channel=amazon", "/api/shop-orders?attention=perhaps",
    "/api/deliveries?limit=1001", "/api/fulfillments?status=done", "/api/shop-orders/not-a-uuid",
])
async def test_bad_channels_query_is_422_at_the_gateway(gateway, network, path):
    resp = await gateway.get(path, headers=VIEWER)
    assert resp.status_code == 422, resp.text
    assert network.calls == []


async def test_connector_fields_are_forwarded_as_set(gateway, state):
    body = {"channel": "etsy", "shop": "lavender-lane", "admin_url": "https://api.etsy.com", "shop_id": "12345678",
            "api_key": "keystring", "api_secret": "shared", "access_token": "1.abc", "refresh_token": "1.def",
            "token_expires_at": "2026-12-01T10:00:00Z", "rules": {"hold_unpaid": False}, "enabled": True}
    assert (await gateway.post("/api/connectors", json=body, headers=OPERATOR)).status_code == 200
    forwarded = last_call(state)["body"]
    assert forwarded["rules"] == {"hold_unpaid": False}  # not the other rules as nulls: their defaults apply
    assert forwarded["access_token"] == "1.abc" and forwarded["shop_id"] == "12345678"
    assert "webhook_secret" not in forwarded  # left out: the service keeps the one it has


async def test_a_null_clears_a_connector_field(gateway, state):
    body = {"channel": "shopify", "shop": "acme", "webhook_secret": None}
    assert (await gateway.post("/api/connectors", json=body, headers=OPERATOR)).status_code == 200
    assert last_call(state)["body"] == body


async def test_a_refused_secret_is_not_echoed(gateway):
    for body in ({**CONNECTOR, "webhook_secret": "s3cr!"}, {**CONNECTOR, "admin_token": "x" * 2001},
                 {**CONNECTOR, "extra_field": 1}):
        resp = await gateway.post("/api/connectors", json=body, headers=OPERATOR)
        assert resp.status_code == 422
        assert "s3cr!" not in resp.text and "x" * 100 not in resp.text and "shpat_abc" not in resp.text
    rotate = await gateway.post("/api/connectors/shopify/acme/rotate-secret", json={"webhook_secret": "tiny"},
                                headers=OPERATOR)
    assert rotate.status_code == 422 and "tiny" not in rotate.text


async def test_sku_map_takes_ids_packs_and_lines_that_are_not_goods(gateway, state):
    mapping = {"SHOP-LB": "LIP-BALM-15G", "variant:808950810": {"sku": "LIP-BALM-15G", "per_item": "6"},
               "product:632910392": {"ignore": True}}
    resp = await gateway.post("/api/connectors/shopify/acme/sku-map", json=mapping, headers=OPERATOR)
    assert resp.status_code == 200
    assert state["sku_map"] == mapping


async def test_a_mapping_ref_with_url_characters_reaches_the_service_whole(gateway, state):
    resp = await gateway.delete("/api/connectors/woocommerce/acme/sku-map/GIFT%20WRAP%23RED", headers=OPERATOR)
    assert resp.status_code == 204
    assert last_call(state)["path"] == "/connectors/woocommerce/acme/sku-map/GIFT%20WRAP%23RED"


async def test_reconcile_without_a_body_lets_the_service_choose_since(gateway, state):
    resp = await gateway.post("/api/connectors/woocommerce/acme/reconcile", headers=OPERATOR)
    assert resp.status_code == 200
    assert last_call(state)["body"] is None


async def test_the_services_404_is_passed_through(gateway):
    resp = await gateway.get("/api/connectors/shopify/missing", headers=VIEWER)
    assert resp.status_code == 404 and resp.json()["detail"] == "no such connector"


async def test_the_old_webhook_list_is_gone(gateway, network):
    resp = await gateway.get("/api/webhooks", headers=OPERATOR)
    assert resp.status_code in (404, 405)
    assert network.calls == []
