"""Make to stock: reorder rules, one replenishment per crossing (a batch for stock for a made
item, a purchase suggestion for a bought one), orders promised against a batch for stock,
and the rule API's refusals."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from inventory_testkit import D, cancelled, completed, in_days, order, receipt_events, recipe, today

from contracts import events as ev
from contracts.events.base import LineQuantity
from contracts.events.purchasing import PurchaseOrderLine

pytestmark = pytest.mark.integration


async def cream_line(inv, cream_kg: str | None = "30", oil_kg: str = "1000"):
    """CREAM made from 1 kg OIL per kg, batches of at least 10 in steps of 10."""
    await inv.item("OIL", base_unit="kg", supplier_lead_time_days=7)
    await inv.item("CREAM", kind="finished", base_unit="kg")
    await inv.deliver(recipe("CREAM", [("OIL", "1", "kg")], batch_min="10", batch_multiple="10"))
    if oil_kg:
        await inv.receive("OIL", oil_kg, "kg", expiry_date=in_days(200))
    if cream_kg:
        await inv.receive("CREAM", cream_kg, "kg", lot_no="C1", expiry_date=in_days(100))


async def set_rule(inv, sku: str, expect: int = 200, **body) -> dict:
    resp = await inv.api.put(f"/reorder-rules/{sku}", json=body)
    assert resp.status_code == expect, resp.text
    return resp.json()


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


async def stock_plans(inv) -> list[dict]:
    return await inv.rows("SELECT plan_id, batch_quantity, promised, status FROM plans WHERE purpose = 'stock'")


async def test_an_order_drawing_stock_below_the_point_plans_one_batch_for_stock(inv):
    await cream_line(inv)
    rule = await set_rule(inv, "CREAM", reorder_point="20", target="50", unit="kg")
    assert (rule["status"], D(rule["position"])) == ("ok", D(30))
    assert await stock_plans(inv) == []

    placed = order("o1", ("CREAM", "15", "kg"))
    event_id = uuid.uuid4()
    raised = await inv.deliver(placed, event_id=event_id)
    (reached,) = of(raised, ev.ReorderPointReached)
    (planned,) = of(raised, ev.ReplenishmentPlanned)
    assert of(raised, ev.OrderAllocated)[0].fully_allocated
    # 15 free, nothing coming: 35 up to the target, made in batches of 10 -> 40.
    assert (reached.action, reached.status, reached.on_hand_free, reached.quantity) == ("batch", "planned", D(15), D(35))
    assert reached.plan_id == planned.plan_id and planned.batch_quantity == D(40)
    assert [(r.sku, r.quantity) for r in planned.reservations] == [("OIL", D(40))]
    assert (await inv.stock("OIL"))["reserved"] == D(40)
    (plan,) = await stock_plans(inv)
    assert (plan["batch_quantity"], plan["promised"]) == (D(40), D(0))
    assert (await inv.get("/plans", status="planned"))[0]["purpose"] == "stock"

    # The batch is open supply: the next order drawing on stock plans nothing more.
    assert of(await inv.deliver(order("o2", ("CREAM", "5", "kg"))), ev.ReorderPointReached) == []
    # Redelivered (same id, and the same order under a new id): nothing.
    assert await inv.deliver(placed, event_id=event_id) == []
    assert await inv.deliver(placed) == []
    assert len(await stock_plans(inv)) == 1
    view = await inv.get("/reorder-rules/CREAM")
    assert (D(view["on_hand_free"]), D(view["open_supply"]), view["status"]) == (D(10), D(40), "ok")


@pytest.mark.parametrize("round_", range(2))
async def test_concurrent_orders_on_two_instances_plan_exactly_one_batch_for_stock(inv, twin, round_):
    await cream_line(inv)
    await set_rule(inv, "CREAM", reorder_point="20", target="50", unit="kg")

    orders = [order(f"r{round_}-{n}", ("CREAM", "3", "kg")) for n in range(8)]
    await asyncio.gather(*[(inv if n % 2 else twin).deliver(o) for n, o in enumerate(orders)])

    events = await inv.emitted()
    assert len(of(events, ev.ReorderPointReached)) == 1
    assert len(of(events, ev.ReplenishmentPlanned)) == 1
    assert len(await stock_plans(inv)) == 1
    assert (await inv.stock("CREAM"))["allocated"] == D(24)


async def test_an_order_is_promised_against_a_batch_for_stock_and_its_cancellation_leaves_the_batch(inv):
    await cream_line(inv, cream_kg=None)
    await set_rule(inv, "CREAM", reorder_point="10", target="50", unit="kg")  # nothing on hand: planned at once
    (plan,) = await stock_plans(inv)
    assert plan["batch_quantity"] == D(50)

    raised = await inv.deliver(order("o1", ("CREAM", "20", "kg")))
    (promised,) = of(raised, ev.MaterialsReserved)
    assert (promised.plan_id, promised.quantity_promised, promised.reservations) == (plan["plan_id"], D(20), [])
    assert of(raised, ev.ReplenishmentPlanned) == []  # 30 of the batch still unpromised: above the point

    released = await inv.deliver(cancelled("o1"))
    assert of(released, ev.StockReleased)[0].promises[0].plan_id == plan["plan_id"]
    assert not of(released, ev.ReplenishmentPlanned)
    (after,) = await stock_plans(inv)
    assert (after["status"], after["promised"]) == ("planned", D(0))  # the batch for stock stays

    # Completed: all of it is free stock.
    stock_batch = ev.BatchCompleted(
        batch_id=plan["plan_id"], batch_no="B-STOCK", sku="CREAM", planned_quantity=D(50), output_quantity=D(50),
        waste_quantity=D(0), unit="kg", purpose="stock", completed_at=datetime.now(timezone.utc),
        consumption=[], expiry_date=today() + timedelta(days=100),
    )
    await inv.deliver(stock_batch)
    cream = await inv.stock("CREAM")
    assert (cream["on_hand"], cream["available"], cream["allocated"]) == (D(50), D(50), D(0))
    assert (await inv.stock("OIL"))["reserved"] == D(0)


async def test_a_batch_for_stock_completing_serves_the_orders_promised_on_it_first(inv):
    await cream_line(inv, cream_kg=None)
    await set_rule(inv, "CREAM", reorder_point="10", target="50", unit="kg")
    (plan,) = await stock_plans(inv)
    (promised,) = of(await inv.deliver(order("o1", ("CREAM", "20", "kg"))), ev.MaterialsReserved)
    done = completed(promised, "B-STOCK", "50")
    raised = await inv.deliver(done.model_copy(update={"consumption": []}))
    (allocated,) = of(raised, ev.OrderAllocated)
    assert allocated.fully_allocated and allocated.allocations[0].lot_no == "B-STOCK"
    cream = await inv.stock("CREAM")
    assert (cream["allocated"], cream["available"]) == (D(20), D(30))


async def test_a_batch_for_stock_waits_for_short_materials_and_is_planned_by_their_receipt(inv):
    await cream_line(inv, cream_kg=None, oil_kg="")
    rule = await set_rule(inv, "CREAM", reorder_point="10", target="30", unit="kg")
    assert rule["status"] == "waiting"
    waiting = rule["open_replenishment"]
    assert waiting["status"] == "waiting" and waiting["shortages"][0]["material_sku"] == "OIL"
    (reached,) = of(await inv.emitted(), ev.ReorderPointReached)
    assert (reached.status, reached.shortages[0].missing) == ("waiting", D(30))

    # Another order draws nothing more (no stock), and no second replenishment is raised.
    assert of(await inv.deliver(order("o1", ("CREAM", "5", "kg"))), ev.ReorderPointReached) == []

    raised = await receipt_events(inv, "OIL", "100", "kg")
    (planned,) = of(raised, ev.ReplenishmentPlanned)
    assert planned.replenishment_id == reached.replenishment_id
    # The waiting order came first (its batch of 10 took 10 kg); the batch for stock is planned after.
    assert of(raised, ev.MaterialsReserved)[0].order_id == "o1"
    assert (await inv.get("/reorder-rules/CREAM"))["open_replenishment"] is None
    assert [r["status"] for r in await inv.get("/replenishments", sku="CREAM")] == ["planned"]


def po_placed(po_id: str, sku: str, quantity: str) -> ev.PurchaseOrderPlaced:
    return ev.PurchaseOrderPlaced(
        purchase_order_id=po_id, po_no=f"PO-{po_id}", supplier_id="s-1", supplier_name="Oil Co",
        lines=[PurchaseOrderLine(line_no=1, material_sku=sku, quantity=D(quantity), unit="kg",
                                 expected_date=today() + timedelta(days=7))],
        receipt_tolerance=D("0.05"), sent_at=datetime.now(timezone.utc),
    )


async def test_a_material_below_its_point_raises_one_purchase_suggestion_per_crossing(inv):
    await cream_line(inv, cream_kg=None, oil_kg="150")
    await set_rule(inv, "OIL", reorder_point="100", target="300", unit="kg")

    raised = await inv.deliver(order("o1", ("CREAM", "60", "kg")))  # its batch reserves 60 kg OIL
    (reached,) = of(raised, ev.ReorderPointReached)
    assert (reached.sku, reached.action, reached.status, reached.reason) == ("OIL", "purchase", "suggested", "reorder point")
    assert (reached.on_hand_free, reached.open_supply, reached.quantity) == (D(90), D(0), D(210))

    again = order("o2", ("CREAM", "10", "kg"))
    assert of(await inv.deliver(again), ev.ReorderPointReached) == []  # the suggestion is out
    assert (await inv.get("/reorder-rules/OIL"))["status"] == "replenishing"

    # A purchase order brings the position back above the point: that crossing is over...
    await inv.deliver(po_placed("p1", "OIL", "50"))
    assert [r["status"] for r in await inv.get("/replenishments", sku="OIL")] == ["closed"]
    # ...and the next one raises a new suggestion.
    (second,) = of(await inv.deliver(order("o3", ("CREAM", "40", "kg"))), ev.ReorderPointReached)
    assert second.replenishment_id != reached.replenishment_id
    assert (second.on_hand_free, second.open_supply, second.quantity) == (D(40), D(50), D(210))


async def test_days_of_cover_fills_up_to_recent_demand(inv):
    await cream_line(inv, cream_kg="100")
    await inv.deliver(order("o1", ("CREAM", "56", "kg")))  # 56 kg over 28 days: 2 kg a day
    rule = await set_rule(inv, "CREAM", reorder_point="50", days_of_cover=30, lookback_days=28, unit="kg")
    assert D(rule["effective_target"]) == D(60)
    (reached,) = of(await inv.emitted(), ev.ReorderPointReached)
    assert (reached.rule, reached.target, reached.quantity) == ("days_of_cover", D(60), D(16))


@pytest.mark.parametrize("body, reason", [
    ({"reorder_point": "-1", "target": "10", "unit": "kg"}, "negative"),
    ({"reorder_point": "20", "target": "10", "unit": "kg"}, "below the reorder point"),
    ({"reorder_point": "20", "target": "-5", "unit": "kg"}, "negative"),
    ({"reorder_point": "2", "target": "5", "unit": "L"}, "kept in kg"),
    ({"reorder_point": "2", "unit": "kg"}, "either a target"),
    ({"reorder_point": "2", "target": "9", "days_of_cover": 7, "unit": "kg"}, "either a target"),
    ({"reorder_point": "2", "days_of_cover": 0, "unit": "kg"}, "at least 1"),
])
async def test_bad_rules_are_refused_with_the_reason(inv, body, reason):
    await inv.item("OIL", base_unit="kg")
    resp = await inv.api.put("/reorder-rules/OIL", json=body)
    assert resp.status_code == 422 and reason in resp.text, resp.text
    assert await inv.scalar("SELECT count(*) FROM reorder_rules") == 0


async def test_unknown_items_half_pieces_and_missing_rules(inv):
    resp = await inv.api.put("/reorder-rules/NOPE", json={"reorder_point": "1", "target": "2", "unit": "kg"})
    assert resp.status_code == 422 and "unknown item NOPE" in resp.text
    await inv.item("JAR", base_unit="pcs")
    resp = await inv.api.put("/reorder-rules/JAR", json={"reorder_point": "1.5", "target": "10", "unit": "pcs"})
    assert resp.status_code == 422 and "whole numbers" in resp.text
    assert (await inv.api.get("/reorder-rules/JAR")).status_code == 404
    assert (await inv.api.delete("/reorder-rules/JAR")).status_code == 404
    await set_rule(inv, "JAR", reorder_point="0", target="10", unit="pcs")  # 0 on hand, 0 point: not below
    assert (await inv.api.delete("/reorder-rules/JAR")).status_code == 204
    assert await inv.get("/reorder-rules") == []


async def test_a_lot_expiring_without_any_event_is_caught_by_the_scheduled_review(inv):
    """Nothing announces a lot passing its expiry date overnight: the background review
    (INVENTORY_REORDER_REVIEW_SECONDS) finds the position below the point and plans one batch."""
    from sqlalchemy import text

    from devstack.waiting import poll
    from inventory.reorder_rules import review_all, scheduled_review

    await cream_line(inv)
    rule = await set_rule(inv, "CREAM", reorder_point="20", target="50", unit="kg")
    assert rule["status"] == "ok" and await stock_plans(inv) == []
    async with inv.rt.uow.start(name="time passes") as ctx:  # the 30 kg lot expired yesterday
        await ctx.session.execute(text("UPDATE lots SET expiry_date = :d WHERE lot_no = 'C1'"),
                                  {"d": today() - timedelta(days=1)})

    inv.rt.settings.reorder_review_seconds = 0.05
    job = asyncio.create_task(scheduled_review(inv.rt))
    try:
        await poll(lambda: _planned_for_stock(inv), deadline=30, what="the review's batch for stock")
    finally:
        job.cancel()
    async with inv.rt.uow.start(name="review again") as ctx:
        await review_all(ctx)
    (plan,) = await stock_plans(inv)
    assert plan["batch_quantity"] == D(50)  # nothing usable left: 50 up to the target
    assert (await inv.get("/reorder-rules/CREAM"))["status"] == "ok"


async def _planned_for_stock(inv) -> bool:
    return len(await stock_plans(inv)) > 0
