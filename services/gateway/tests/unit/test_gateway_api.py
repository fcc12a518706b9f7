"""Composition, error pass-through, unreachable services and validation."""

from __future__ import annotations

import pytest

from gateway_stubs import BATCH_ID, LOT_ID, OPERATOR, ORDER_ID, VIEWER

pytestmark = pytest.mark.unit


async def test_order_view_composes_order_allocations_batches_and_shipments(gateway):
    resp = await gateway.get(f"/api/orders/{ORDER_ID}", headers=VIEWER)
    assert resp.status_code == 200
    view = resp.json()
    assert view["order"]["status"] == "ready_to_ship"
    assert view["order"]["timeline"][0]["event_type"] == "OrderPlaced"
    assert [a["allocation_id"] for a in view["allocations"]] == ["a1"]
    assert view["supply"][0]["reason"] == "materials short"
    assert [b["batch_no"] for b in view["batches"]] == ["B250101-0001"]
    assert [s["shipment_id"] for s in view["shipments"]] == ["s1"]  # only this order's shipments
    assert view["unavailable"] == {}


async def test_order_view_still_shows_the_order_when_production_is_down(gateway, network):
    del network.apps["production"]
    view = (await gateway.get(f"/api/orders/{ORDER_ID}", headers=VIEWER)).json()
    assert view["order"]["order_no"] == "SO-0001"
    assert view["batches"] == []
    assert "production" in view["unavailable"]["production"]
    assert view["allocations"] and view["shipments"]


async def test_unknown_order_is_404_with_the_services_detail(gateway):
    resp = await gateway.get("/api/orders/nope", headers=VIEWER)
    assert resp.status_code == 404
    assert resp.json()["detail"] == "order nope not found"


async def test_conflict_from_a_service_is_passed_through(gateway):
    resp = await gateway.post(f"/api/batches/{BATCH_ID}/start", headers=OPERATOR)
    assert resp.status_code == 409
    assert resp.json()["detail"] == "batch B250101-0001 is completed; it cannot start"


async def test_duplicate_item_conflict_is_passed_through(gateway):
    body = {"sku": "DUP", "name": "Dup", "kind": "raw", "base_unit": "kg"}
    resp = await gateway.post("/api/items", json=body, headers=OPERATOR)
    assert resp.status_code == 409 and resp.json()["detail"] == "item DUP exists"


async def test_service_failure_is_502_naming_the_service(gateway):
    resp = await gateway.post(f"/api/batches/{BATCH_ID}/complete", json={"output_quantity": "100"}, headers=OPERATOR)
    assert resp.status_code == 502
    assert "production" in resp.json()["detail"]


@pytest.mark.parametrize(("method", "path", "service"), [
    ("GET", "/api/orders", "orders"),
    ("POST", "/api/orders", "orders"),
    ("GET", "/api/stock", "inventory"),
    ("GET", f"/api/orders/{ORDER_ID}", "orders"),
])
async def test_unreachable_service_is_503_naming_it(gateway, network, method, path, service):
    del network.apps[service]
    body = {"customer": {"name": "Bo", "email": "bo@example.com"}, "lines": [{"sku": "X", "quantity": "1", "unit": "pcs"}]}
    resp = await gateway.request(method, path, headers=OPERATOR, json=body if method == "POST" else None)
    assert resp.status_code == 503
    assert service in resp.json()["detail"]


async def test_recall_list_fails_rather_than_comes_back_short(gateway, network):
    del network.apps["orders"]
    resp = await gateway.get(f"/api/lots/{LOT_ID}/trace", headers=VIEWER)
    assert resp.status_code == 503 and "orders" in resp.json()["detail"]


@pytest.mark.parametrize("body", [
    {"lines": [{"sku": "LIP", "quantity": "5", "unit": "pcs"}]},  # no customer
    {"customer": {"name": "Bo", "email": "bo@example.com"}, "lines": []},  # no lines
    {"customer": {"name": "Bo", "email": "not-an-email"}, "lines": [{"sku": "LIP", "quantity": "5", "unit": "pcs"}]},
    {"customer": {"name": "Bo", "email": "bo@example.com"}, "lines": [{"sku": "LIP", "quantity": "-5", "unit": "pcs"}]},
    {"customer": {"name": "Bo", "email": "bo@example.com"}, "lines": [{"sku": "LIP", "quantity": "5", "unit": "bags"}]},
    {"customer": {"name": "Bo", "email": "bo@example.com"}, "lines": [{"line_no": 1, "sku": "A", "quantity": "1", "unit": "pcs"},
                                                                      {"line_no": 1, "sku": "B", "quantity": "1", "unit": "pcs"}]},
    {"customer": {"name": "Bo", "email": "bo@example.com"}, "lines": [{"sku": "LIP", "quantity": "5", "unit": "pcs"}],
     "wanted_date": "soon"},
])
async def test_bad_order_is_422_at_the_gateway(gateway, network, body):
    resp = await gateway.post("/api/orders", json=body, headers=OPERATOR)
    assert resp.status_code == 422
    assert network.calls == []


async def test_a_mistyped_value_is_told_its_shape_in_words(gateway, network):
    body = {"customer": {"name": "Bo", "email": "bo at example.com"}, "lines": [{"sku": "LIP BALM", "quantity": "5", "unit": "pcs"}]}
    resp = await gateway.post("/api/orders", json=body, headers=OPERATOR)
    assert resp.status_code == 422 and network.calls == []
    said = {tuple(e["loc"]): e["msg"] for e in resp.json()["detail"]}
    assert said[("body", "customer", "email")] == "must be an e-mail address such as name@example.com (no spaces)"
    assert said[("body", "lines", 0, "sku")].startswith("must be letters, digits")
    assert not any("pattern" in m for m in said.values())


async def test_bad_recipe_yield_is_422(gateway, network):
    recipe = {"sku": "LIP", "name": "Lip balm", "output_unit": "pcs", "ingredients": [{"sku": "WAX", "quantity": "0.005", "unit": "kg"}],
              "batch_min": "50", "batch_multiple": "25", "expected_yield": "1.2", "lead_time_days": 2}
    resp = await gateway.post("/api/recipes", json=recipe, headers=OPERATOR)
    assert resp.status_code == 422 and network.calls == []


async def test_malformed_batch_id_is_422(gateway, network):
    resp = await gateway.post("/api/batches/not-a-uuid/start", headers=OPERATOR)
    assert resp.status_code == 422 and network.calls == []


async def test_filters_pass_through_to_the_service(gateway, state):
    await gateway.get("/api/orders", params={"status": "shipped", "customer": "Ada"}, headers=VIEWER)
    assert state["list_params"] == {"status": "shipped", "customer": "Ada"}


async def test_backward_trace_adds_the_shipments(gateway):
    trace = (await gateway.get(f"/api/orders/{ORDER_ID}/trace", headers=VIEWER)).json()
    assert trace["trace"]["lots"][0]["ingredients"][0]["supplier_lot_no"] == "S-9"
    assert [s["shipment_id"] for s in trace["shipments"]] == ["s1"]


async def test_forward_trace_lists_the_customers_to_recall(gateway):
    trace = (await gateway.get(f"/api/lots/{LOT_ID}/trace", headers=VIEWER)).json()
    recall = {r["order_id"]: r for r in trace["recall"]}
    assert list(recall) == [ORDER_ID, "ord-2"]
    assert recall[ORDER_ID]["customer"]["email"] == "ada@example.com"
    assert recall[ORDER_ID]["lots"] == [{"lot_id": "f-1", "lot_no": "B1", "sku": "LIP", "quantity": "10",
                                         "shipped": "10", "status": "shipped"}]
    assert recall["ord-2"]["customer"] is None  # unknown to orders: still listed, never dropped


async def test_a_batch_names_the_orders_it_covers_by_number(gateway, network):
    """Production knows orders by id; the operator reads numbers. Without the orders service
    the batch still shows, its covers without numbers."""
    batch = (await gateway.get(f"/api/batches/{BATCH_ID}", headers=VIEWER)).json()
    assert [(c["order_id"], c["order_no"]) for c in batch["covers"]] == [(ORDER_ID, "SO-0001"), ("ord-unknown", None)]
    del network.apps["orders"]
    degraded = await gateway.get(f"/api/batches/{BATCH_ID}", headers=VIEWER)
    assert degraded.status_code == 200 and [c["order_no"] for c in degraded.json()["covers"]] == [None, None]
    missing = await gateway.get("/api/batches/5b0f0c39-0d7c-4c35-9d39-5a2f6b1d7a11", headers=VIEWER)
    assert missing.status_code == 404 and "not found" in missing.json()["detail"]


async def test_an_order_from_a_shop_shows_how_its_lines_mapped(gateway, state, network):
    state["orders"]["ord-shop"] = {"order_id": "ord-shop", "order_no": "SO-0004", "status": "received",
                                   "channel": "shopify", "timeline": []}
    view = (await gateway.get("/api/orders/ord-shop", headers=VIEWER)).json()
    assert view["shop_order"]["reference"] == "#1001"
    assert [(li["external_sku"], li["sku"], li["matched_on"]) for li in view["shop_order"]["lines"]] == [
        ("ipod2008green", "IPOD2008GREEN", "catalog")]
    # An order typed here is not looked up in channels at all.
    typed = (await gateway.get(f"/api/orders/{ORDER_ID}", headers=VIEWER)).json()
    assert typed["shop_order"] is None and state["shop_order_asked"] == ["ord-shop"]
    # Channels down: the order still shows, and says what is missing.
    del network.apps["channels"]
    degraded = (await gateway.get("/api/orders/ord-shop", headers=VIEWER)).json()
    assert degraded["shop_order"] is None and "channels" in degraded["unavailable"]


async def test_order_view_of_an_order_inventory_has_not_seen_yet(gateway, state):
    state["orders"]["fresh"] = {"order_id": "fresh", "order_no": "SO-0003", "status": "received", "timeline": []}
    view = (await gateway.get("/api/orders/fresh", headers=VIEWER)).json()
    assert view["allocations"] == [] and view["supply"] == [] and view["unavailable"] == {}


async def test_ready_reports_each_service_and_is_503_if_one_is_down(gateway, network):
    ok = await gateway.get("/health/ready")
    assert ok.status_code == 200 and ok.json()["ready"] is True
    del network.apps["shipping"]
    down = await gateway.get("/health/ready")
    assert down.status_code == 503
    services = down.json()["services"]
    assert services["shipping"]["ready"] is False and services["orders"]["ready"] is True


async def test_sku_map_is_validated_and_forwarded(gateway, state):
    mapping = {"SHOP-LB": "LIP-BALM-15G", "SHOP-LB-6": {"sku": "LIP-BALM-15G", "per_item": "6"}}
    resp = await gateway.post("/api/connectors/shopify/acme.myshopify.com/sku-map", json=mapping, headers=OPERATOR)
    assert resp.status_code == 200
    assert state["sku_map"] == mapping
    bad = await gateway.post("/api/connectors/shopify/acme/sku-map", json={"SHOP-LB": "not a sku!"}, headers=OPERATOR)
    assert bad.status_code == 422


async def test_webhook_for_an_unknown_channel_is_422(gateway, network):
    resp = await gateway.post("/webhooks/amazon/acme", content=b"{}")
    assert resp.status_code == 422 and network.calls == []
