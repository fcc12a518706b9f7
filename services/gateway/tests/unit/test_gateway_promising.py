"""The quote adds production's first free day and orders' handling days to inventory's
answer; the stuck list gathers orders', orders' review and channels' queues with actions."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, HTTPException

from gateway_stubs import OPERATOR

pytestmark = pytest.mark.unit


def _apps(answer: dict, first_free: str) -> dict[str, FastAPI]:
    inventory, production, orders, channels = FastAPI(), FastAPI(), FastAPI(), FastAPI()

    @inventory.get("/quote")
    async def quote(sku: str, quantity: str, unit: str) -> dict:
        if sku == "NOPE":
            raise HTTPException(422, "unknown SKU NOPE")
        return {**answer, "quantity": quantity, "unit": unit}

    @inventory.get("/shortages")
    async def shortages() -> list:
        return [{"material_sku": "OIL", "supplier_lead_time_days": 14}]

    @production.get("/capacity/first-free")
    async def free() -> dict:
        return {"first_free_day": first_free, "batches_per_day": 1, "requested": first_free}

    @orders.get("/promise-rules")
    async def rules() -> dict:
        return {"handling_days": 1}

    @orders.get("/stuck")
    async def stuck() -> dict:
        return {"items": [{"order_id": "o1", "order_no": "SO-1", "customer_name": "Ada", "promised_date": None,
                           "expected_date": None, "lines": [
                               {"line_no": 1, "sku": "SOAP", "category": "shortage", "reason": "",
                                "expected_date": "2030-01-17", "action": "receive 12 kg of OIL",
                                "shortages": [{"material_sku": "OIL", "missing": "12.000000", "unit": "kg"}]}]}],
                "total": 1}

    @orders.get("/review/orders")
    async def review() -> dict:
        return {"items": [{"order_id": "o2", "customer_name": "Bo", "reasons": ["line 1: unknown SKU X"]}], "total": 1}

    @channels.get("/shop-orders")
    async def shop_orders(status: str) -> dict:
        item = {"order_id": "o3", "shop_order_id": "s3", "channel": "shopify", "shop": "acme", "external_id": "1",
                "reference": "#1001", "status": status, "reason": "unmapped variant 42"}
        return {"items": [item] if status == "needs_mapping" else [], "total": 1}

    return {"inventory": inventory, "production": production, "orders": orders, "channels": channels}


PRODUCTION_ANSWER = {"ready_date": "2030-01-03", "needs_production": True, "materials_ready_on": "2030-01-01",
                     "lead_time_days": 2, "basis": "production", "explanation": "10 pcs to make", "materials": []}


async def test_quote_adds_capacity_and_handling(gateway, network):
    network.apps.update(_apps(PRODUCTION_ANSWER, "2030-01-04"))  # production full until the 4th
    r = await gateway.get("/api/quote", params={"sku": "SOAP", "quantity": "10", "unit": "pcs"}, headers=OPERATOR)
    assert r.status_code == 200, r.text
    q = r.json()
    assert (q["ready_date"], q["ship_date"], q["basis"], q["handling_days"]) == ("2030-01-06", "2030-01-07", "production", 1)
    assert "fully booked until 2030-01-04" in q["explanation"]


async def test_quote_from_stock_needs_no_capacity_and_refusals_pass_through(gateway, network):
    network.apps.update(_apps({**PRODUCTION_ANSWER, "needs_production": False, "basis": "stock",
                               "ready_date": "2030-01-01", "materials_ready_on": None}, "2031-01-01"))
    q = (await gateway.get("/api/quote", params={"sku": "SOAP", "quantity": "1", "unit": "pcs"}, headers=OPERATOR)).json()
    assert (q["basis"], q["ship_date"]) == ("stock", "2030-01-02")
    r = await gateway.get("/api/quote", params={"sku": "NOPE", "quantity": "1", "unit": "pcs"}, headers=OPERATOR)
    assert r.status_code == 422 and "unknown SKU" in r.text
    r = await gateway.get("/api/quote", params={"sku": "SOAP", "quantity": "1", "unit": "bushel"}, headers=OPERATOR)
    assert r.status_code == 422


async def test_handling_days_are_asked_for_once_per_ttl(gateway, network):
    apps = _apps({**PRODUCTION_ANSWER, "needs_production": False, "basis": "stock", "ready_date": "2030-01-01",
                  "materials_ready_on": None}, "2031-01-01")
    asked = []

    @apps["orders"].middleware("http")
    async def count(request, call_next):
        asked.append(request.url.path)
        return await call_next(request)

    network.apps.update(apps)
    params = {"sku": "SOAP", "quantity": "1", "unit": "pcs"}
    for _ in range(3):
        assert (await gateway.get("/api/quote", params=params, headers=OPERATOR)).json()["ship_date"] == "2030-01-02"
    assert asked == ["/promise-rules"]


async def test_promise_rules_are_asked_again_when_the_ttl_ran_out():
    from gateway.promising import PromiseRules

    now = [0.0]

    class Orders:
        calls = 0

        async def get(self, service, path):
            Orders.calls += 1
            return {"handling_days": Orders.calls}

    rules = PromiseRules(ttl=30, clock=lambda: now[0])
    assert (await rules.get(Orders()))["handling_days"] == 1
    now[0] = 29.9
    assert (await rules.get(Orders()))["handling_days"] == 1
    now[0] = 30.0
    assert (await rules.get(Orders()))["handling_days"] == 2


async def test_stuck_list_gathers_every_queue_with_its_action(gateway, network):
    network.apps.update(_apps(PRODUCTION_ANSWER, "2030-01-01"))
    body = (await gateway.get("/api/orders/stuck", headers=OPERATOR)).json()
    got = {(i["order_id"], i["category"]): i["action"] for i in body["items"]}
    assert got == {
        ("o1", "shortage"): "receive 12 kg of OIL (supplier lead time 14 days)",
        ("o2", "needs review"): "fix the shop order or the catalog (line 1: unknown SKU X) and place it again",
        ("o3", "needs mapping"): "map the shop SKU in shopify/acme (unmapped variant 42), then the order is retried",
    }
    assert body["unavailable"] == []
    del network.apps["channels"]
    body = (await gateway.get("/api/orders/stuck", headers=OPERATOR)).json()
    assert body["unavailable"] == ["mapping", "shop_review"] and len(body["items"]) == 2
