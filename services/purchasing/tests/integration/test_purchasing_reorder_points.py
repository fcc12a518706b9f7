"""Reorder points in purchasing: a material below its point is one suggestion (reason
"reorder point") up to the rule's target, net of stock and open POs, whatever the
redeliveries; sent POs answer it once they cover it; a batch for stock waiting for materials is demand too
until inventory plans it."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from contracts import events as ev
from contracts.events.inventory import MaterialShortage
from devstack.testing import query_rows
from purchasing_testkit import short

pytestmark = pytest.mark.integration

OIL_TERMS = dict(lead_time_days=7, pack_size="25", min_order_quantity="0", preferred=True)


def reached(sku: str = "OIL", *, free: str = "90", point: str = "100", target: str = "300", **over) -> ev.ReorderPointReached:
    body = dict(
        replenishment_id=str(uuid.uuid4()), sku=sku, item_kind="raw", unit="kg", on_hand_free=D(free),
        open_supply=D(0), reorder_point=D(point), target=D(target), quantity=D(target) - D(free), rule="min_max",
        action="purchase", status="suggested", reached_at=datetime.now(timezone.utc),
    )
    body.update(over)
    return ev.ReorderPointReached(**body)


async def test_a_material_below_its_point_is_one_suggestion_up_to_the_target(purchasing):
    p = purchasing
    await p.material("OIL")
    supplier = await p.supplier("Oil Co", OIL=OIL_TERMS)
    event = reached()
    event_id = uuid.uuid4()
    await p.deliver(event, event_id)
    await p.deliver(event, event_id)  # redelivered
    await p.deliver(event)  # the same crossing under a new event id

    (s,) = (await p.suggestions()).values()
    assert s["material_sku"] == "OIL" and s["because"] == ["reorder point"]
    # 300 wanted - 90 free = 210, packs of 25: 225.
    assert (D(s["reorder_wanted"]), D(s["available"]), D(s["missing"]), D(s["quantity"])) == (300, 90, 210, 225)
    assert s["supplier_id"] == supplier

    (po,) = (await p.ok("POST", "/purchase-orders/from-suggestions", 201, json={}))["purchase_orders"]
    assert await p.suggestions() == {}  # the draft counts
    await p.ok("POST", f"/purchase-orders/{po['purchase_order_id']}/send")
    assert await p.suggestions() == {}
    rows = await _requests(p)
    assert [(r["status"], r["purchase_order_id"]) for r in rows] == [("ordered", po["purchase_order_id"])]


async def test_a_purchase_order_smaller_than_the_want_leaves_the_rest_suggested(purchasing):
    p = purchasing
    await p.material("OIL")
    supplier = await p.supplier("Oil Co", OIL=dict(OIL_TERMS, pack_size="1"))
    await p.deliver(reached())  # 300 wanted, 90 free: 210 to buy

    small = await p.ok("POST", "/purchase-orders", 201, json={
        "supplier_id": supplier, "lines": [{"material_sku": "OIL", "quantity": "100", "unit": "kg"}]})
    await p.ok("POST", f"/purchase-orders/{small['purchase_order_id']}/send")
    # The crossing is not answered by 100 of 210: the rest is still to buy.
    assert [r["status"] for r in await _requests(p)] == ["open"]
    s = (await p.suggestions())["OIL"]
    assert (D(s["on_order"]), D(s["missing"]), s["because"]) == (100, 110, ["reorder point"])

    (rest,) = (await p.ok("POST", "/purchase-orders/from-suggestions", 201, json={}))["purchase_orders"]
    await p.ok("POST", f"/purchase-orders/{rest['purchase_order_id']}/send")
    rows = await _requests(p)
    assert [(r["status"], r["purchase_order_id"]) for r in rows] == [("ordered", rest["purchase_order_id"])]
    assert await p.suggestions() == {}


async def test_reorder_wants_add_to_waiting_orders(purchasing):
    p = purchasing
    await p.material("OIL")
    await p.supplier("Oil Co", OIL=dict(OIL_TERMS, pack_size="1"))
    await p.deliver(short(str(uuid.uuid4()), ("OIL", "50", "40")))  # a line needs 50, 40 usable
    await p.deliver(reached(free="40", target="100"))
    s = (await p.suggestions())["OIL"]
    # 50 for the order + 100 wanted in stock - 40 usable = 110.
    assert (D(s["required"]), D(s["reorder_wanted"]), D(s["missing"])) == (50, 100, 110)
    assert s["because"] == ["waiting orders", "reorder point"]


async def test_a_batch_for_stock_waiting_for_materials_is_demand_until_planned(purchasing):
    p = purchasing
    await p.material("OIL")
    await p.supplier("Oil Co", OIL=dict(OIL_TERMS, pack_size="1"))
    waiting = reached(
        "CREAM", item_kind="finished", action="batch", status="waiting", free="0", point="10", target="30",
        shortages=[MaterialShortage(material_sku="OIL", required=D(30), available=D(5), missing=D(25), unit="kg")],
    )
    await p.deliver(waiting)
    s = (await p.suggestions())["OIL"]
    assert (D(s["missing"]), s["because"]) == (25, ["batch for stock of CREAM"])

    await p.deliver(ev.ReplenishmentPlanned(
        replenishment_id=waiting.replenishment_id, plan_id=str(uuid.uuid4()), sku="CREAM", batch_quantity=D(30),
        unit="kg", recipe_version=1, lead_time_days=2, planned_at=datetime.now(timezone.utc),
    ))
    assert await p.suggestions() == {}


async def test_a_batch_planned_at_once_asks_purchasing_for_nothing(purchasing):
    p = purchasing
    await p.material("OIL")
    await p.deliver(reached("CREAM", item_kind="finished", action="batch", status="planned", plan_id="x"))
    assert await p.suggestions() == {}
    assert await _requests(p) == []


async def _requests(p) -> list[dict]:
    return await query_rows(p.rt.uow, "SELECT * FROM reorder_requests ORDER BY raised_at")
