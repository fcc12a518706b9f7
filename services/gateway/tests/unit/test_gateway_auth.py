"""API keys and roles: who may do what."""

from __future__ import annotations

import pytest

from gateway_stubs import OPERATOR, VIEWER
from gateway.settings import Role, Settings

pytestmark = pytest.mark.unit


async def test_missing_key_is_refused_with_401(gateway):
    resp = await gateway.get("/api/orders")
    assert resp.status_code == 401
    assert "missing API key" in resp.json()["detail"]


async def test_unknown_key_is_refused_with_401(gateway, network):
    resp = await gateway.get("/api/orders", headers={"X-API-Key": "guess"})
    assert resp.status_code == 401
    assert network.calls == []  # refused before any service is bothered


async def test_viewer_may_read(gateway):
    resp = await gateway.get("/api/orders", headers=VIEWER)
    assert resp.status_code == 200
    assert resp.json()["items"][0]["order_no"] == "SO-0001"


async def test_viewer_may_not_write(gateway, state):
    body = {"customer": {"name": "Bo", "email": "bo@example.com"}, "lines": [{"sku": "LIP-BALM", "quantity": "5", "unit": "pcs"}]}
    resp = await gateway.post("/api/orders", json=body, headers=VIEWER)
    assert resp.status_code == 403
    assert "placed" not in state


async def test_operator_may_write(gateway, state):
    body = {"customer": {"name": "Bo", "email": "bo@example.com"}, "lines": [{"sku": "LIP-BALM", "quantity": "5", "unit": "pcs"}]}
    resp = await gateway.post("/api/orders", json=body, headers=OPERATOR)
    assert resp.status_code == 201
    assert resp.json()["order_no"] == "SO-0002"
    # Forwarded as validated, with only what the caller set (the service's defaults apply).
    assert state["placed"] == {"customer": {"name": "Bo", "email": "bo@example.com"},
                               "lines": [{"sku": "LIP-BALM", "quantity": "5", "unit": "pcs"}]}


async def test_health_console_and_docs_need_no_key_and_nothing_from_the_internet(gateway):
    assert (await gateway.get("/health/live")).status_code == 200
    console = await gateway.get("/")
    assert console.status_code == 200 and '<script type="module" src="/console/js/app.js">' in console.text
    assert (await gateway.get("/console/js/app.js")).status_code == 200
    for page, asset in (("/docs", "/docs-assets/swagger-ui-bundle.js"), ("/redoc", "/docs-assets/redoc.standalone.js")):
        html = (await gateway.get(page)).text
        assert asset in html and "cdn.jsdelivr" not in html and "fonts.googleapis" not in html
        assert (await gateway.get(asset)).status_code == 200


async def test_whoami_tells_the_console_which_buttons_to_show(gateway):
    me = (await gateway.get("/api/whoami", headers={"X-API-Key": "view-key"})).json()
    assert me["role"] == "viewer" and me["may_act"] is False
    me = (await gateway.get("/api/whoami", headers={"X-API-Key": "op-key"})).json()
    assert me["may_act"] is True
    assert (await gateway.get("/api/whoami")).status_code == 401
    assert (await gateway.get("/api/live", params={"key": "nope"})).status_code == 401


async def test_webhook_needs_no_key_and_forwards_raw_body_and_signature(gateway, state):
    raw = b'{"id": 42,  "line_items": []}'  # odd spacing: the HMAC is over these exact bytes
    resp = await gateway.post("/webhooks/shopify/my-shop", content=raw,
                              headers={"X-Shopify-Hmac-Sha256": "good", "Content-Type": "application/json"})
    assert resp.status_code == 202
    assert state["webhook"]["body"] == raw
    assert state["webhook"]["headers"]["x-shopify-hmac-sha256"] == "good"
    assert state["webhook"]["path"] == ("shopify", "my-shop")


async def test_webhook_with_bad_signature_gets_the_channels_answer(gateway):
    resp = await gateway.post("/webhooks/shopify/my-shop", content=b"{}", headers={"X-Shopify-Hmac-Sha256": "forged"})
    assert resp.status_code == 401


def test_api_keys_come_from_the_environment_as_json(monkeypatch):
    monkeypatch.setenv("GATEWAY_API_KEYS", '{"k-1": "operator", "k-2": "viewer"}')
    monkeypatch.setenv("GATEWAY_ORDERS_URL", "http://orders.internal:9000")
    settings = Settings()
    assert settings.api_keys == {"k-1": Role.operator, "k-2": Role.viewer}
    assert settings.orders_url == "http://orders.internal:9000"


async def test_auth_comes_before_validation(gateway):
    # An anonymous caller learns nothing about the API's bodies: 401, not 422.
    assert (await gateway.post("/api/orders", json={"bogus": 1})).status_code == 401
    assert (await gateway.post("/api/orders", json={"bogus": 1}, headers=VIEWER)).status_code == 403
