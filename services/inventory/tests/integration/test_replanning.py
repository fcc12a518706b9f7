"""When a plan fails or supply appears: BatchCancelled and shrunk batches release material,
goods receipts resume waiting orders fairly, a yield shortfall is backordered and re-planned,
and a consumption that differs from the (shrunk) reservations is recorded as far as it goes."""

from __future__ import annotations

import pytest
from inventory_testkit import (
    D, batch_cancelled, cancelled, completed, in_days, lot_quantity, nothing_negative, order, receipt_events, recipe,
    reserved_by_lot, scheduled,
)

from contracts import events as ev

pytestmark = pytest.mark.integration


async def cream(inv, oil=(("40", 20), ("30", 100)), wax="50"):
    """CREAM: 0.6 kg OIL + 400 g WAX per kg, yield 0.8; batch min 50, multiple 25."""
    await inv.item("OIL", base_unit="kg")
    await inv.item("WAX", base_unit="kg")
    await inv.item("CREAM", kind="finished", base_unit="kg")  # recipes never create items
    await inv.deliver(recipe("CREAM", [("OIL", "0.6", "kg"), ("WAX", "400", "g")], expected_yield="0.8"))
    for i, (q, days) in enumerate(oil):
        await inv.receive("OIL", q, "kg", lot_no=f"OIL-{'ABC'[i]}", expiry_date=in_days(days))
    if wax:
        await inv.receive("WAX", wax, "kg", lot_no="WAX-1", expiry_date=in_days(60))


async def plan_for_two(inv, second_priority=0):
    (first,) = await inv.deliver(order("o1", ("CREAM", "60", "kg"), minutes_ago=10))
    (second,) = await inv.deliver(order("o2", ("CREAM", "10", "kg"), priority=second_priority))
    assert first.batch_quantity == D(75) and second.plan_id == first.plan_id
    return first


async def test_batch_cancelled_releases_its_materials_and_replans_the_live_order(inv):
    await cream(inv)
    plan = await plan_for_two(inv)
    await inv.deliver(cancelled("o1"))  # o2 (10 kg) is left on the plan

    events = await inv.deliver(batch_cancelled(plan.plan_id))

    (replanned,) = events
    assert isinstance(replanned, ev.MaterialsReserved) and replanned.order_id == "o2"
    assert replanned.plan_id != plan.plan_id and (replanned.quantity_promised, replanned.batch_quantity) == (D(10), D(50))
    assert await reserved_by_lot(inv, plan.plan_id) == {}
    # Only the new 50 kg plan holds material: 37.5 kg OIL and 25 kg WAX.
    assert (await inv.stock("OIL"))["reserved"] == D("37.5") and (await inv.stock("WAX"))["reserved"] == D(25)
    (gone,) = await inv.get("/plans", status="cancelled")
    assert gone["plan_id"] == plan.plan_id and D(gone["promised"]) == D(0)
    line = (await inv.get("/orders/o2/allocations"))["lines"][0]
    assert D(line["promised"]) == D(10) and D(line["waiting"]) == D(0)

    assert await inv.deliver(batch_cancelled(plan.plan_id)) == []  # again: nothing left to do
    assert (await inv.stock("OIL"))["reserved"] == D("37.5")
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


async def test_operator_cancelled_batch_replans_its_orders_by_priority_and_one_waits(inv):
    await cream(inv, oil=(("60", 20),), wax="40")
    plan = await plan_for_two(inv, second_priority=5)

    events = await inv.deliver(batch_cancelled(plan.plan_id))

    # The urgent o2 first: a new 50 kg plan (37.5 kg OIL, 25 kg WAX) whose 40 kg surplus is
    # promised to o1; o1's other 20 kg would need another 50 kg batch: 22.5 kg OIL is too little.
    assert [(type(e).__name__, e.order_id) for e in events] == [
        ("MaterialsReserved", "o2"), ("MaterialsReserved", "o1"), ("MaterialsShort", "o1")]
    new_plan, surplus, short = events
    assert new_plan.batch_quantity == D(50) and new_plan.plan_id != plan.plan_id
    assert (surplus.plan_id, surplus.quantity_promised, surplus.reservations) == (new_plan.plan_id, D(40), [])
    assert short.quantity == D(20)
    assert [(s.material_sku, s.missing) for s in short.shortages] == [("OIL", D(15)), ("WAX", D(10))]
    line = (await inv.get("/orders/o1/allocations"))["lines"][0]
    assert (D(line["promised"]), D(line["waiting"])) == (D(40), D(20))
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


async def test_shrink_releases_exactly_the_excess_from_the_latest_expiring_lots(inv):
    await cream(inv)
    plan = await plan_for_two(inv)
    assert await reserved_by_lot(inv, plan.plan_id) == {"OIL-A": D(40), "OIL-B": D("16.25"), "WAX-1": D("37.5")}
    await inv.deliver(cancelled("o1"))  # 10 kg promised: a 50 kg batch is enough

    assert await inv.deliver(scheduled(plan.plan_id, "50")) == []

    # OIL 56.25 -> 37.5 (18.75 back, latest expiry first: all of B, 2.5 of A); WAX 37.5 -> 25.
    assert await reserved_by_lot(inv, plan.plan_id) == {"OIL-A": D("37.5"), "WAX-1": D(25)}
    (p,) = await inv.get("/plans", status="planned")
    assert (D(p["batch_quantity"]), D(p["promised"]), D(p["surplus"])) == (D(50), D(10), D(40))
    assert (await inv.stock("OIL"))["available"] == D("32.5")

    await inv.deliver(scheduled(plan.plan_id, "50"))  # the same schedule again
    await inv.deliver(scheduled(plan.plan_id, "75"))  # not a shrink
    assert await reserved_by_lot(inv, plan.plan_id) == {"OIL-A": D("37.5"), "WAX-1": D(25)}
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


@pytest.mark.parametrize("schedule_first", [True, False])
async def test_shrink_and_cancel_converge_in_either_order(inv, schedule_first):
    await cream(inv)
    plan = await plan_for_two(inv)
    steps = [scheduled(plan.plan_id, "50"), cancelled("o1")]
    for event in steps if schedule_first else reversed(steps):
        await inv.deliver(event)
    # Scheduled first: the promise of o1 held the shrink back until its cancellation.
    assert await reserved_by_lot(inv, plan.plan_id) == {"OIL-A": D("37.5"), "WAX-1": D(25)}


async def test_shrink_never_goes_below_what_the_promises_need(inv):
    await cream(inv)
    plan = await plan_for_two(inv)
    await inv.deliver(scheduled(plan.plan_id, "50"))  # 70 kg still promised: stays 75
    (p,) = await inv.get("/plans", status="planned")
    assert D(p["batch_quantity"]) == D(75) and D(p["scheduled_quantity"]) == D(50)
    assert sum((await reserved_by_lot(inv, plan.plan_id)).values()) == D("93.75")


async def test_goods_receipt_resumes_waiting_orders_by_priority_then_age(inv):
    await cream(inv, oil=(("500", 200),), wax=None)
    for order_id, priority, age in (("old", 0, 30), ("young", 0, 10), ("urgent", 5, 0)):
        (short,) = await inv.deliver(order(order_id, ("CREAM", "50", "kg"), priority=priority, minutes_ago=age))
        assert isinstance(short, ev.MaterialsShort) and short.shortages[0].missing == D(25)

    # Enough WAX for one 50 kg batch (25 kg): the urgent order gets it.
    events = await receipt_events(inv, "WAX", "30")
    reserved = [e for e in events if isinstance(e, ev.MaterialsReserved)]
    assert [e.order_id for e in reserved] == ["urgent"]
    still = {e.order_id: e for e in events if isinstance(e, ev.MaterialsShort)}
    assert set(still) == {"old", "young"}  # their shortage changed: 5 kg available now
    assert still["old"].shortages[0].missing == D(20)

    # 25 kg more: the older of the two waiting orders is served; the other's shortage is the
    # same as before (5 kg available, 20 missing), so nothing new is said about it.
    events = await receipt_events(inv, "WAX", "25")
    assert [(type(e).__name__, e.order_id) for e in events] == [("MaterialsReserved", "old")]
    young = (await inv.get("/orders/young/allocations"))["lines"][0]
    assert D(young["waiting"]) == D(50) and D(young["shortages"][0]["missing"]) == D(20)
    assert [o["order_id"] for s in await inv.get("/shortages") for o in s["orders"]] == ["young"]


async def test_finished_goods_receipt_allocates_to_the_waiting_order(inv):
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await inv.deliver(order("o1", ("SOAP", "12", "pcs")))

    still, partial = await receipt_events(inv, "SOAP", "8", "pcs", lot_no="S1")
    assert isinstance(still, ev.MaterialsShort) and still.quantity == D(4)  # no recipe: the rest waits
    assert isinstance(partial, ev.OrderAllocated) and not partial.fully_allocated
    assert [(o.line_no, o.quantity) for o in partial.outstanding] == [(1, D(4))]
    events = await receipt_events(inv, "SOAP", "10", "pcs", lot_no="S2")
    assert events[-1].fully_allocated and events[-1].allocated_quantity() == D(12)


async def test_yield_shortfall_allocates_by_priority_backorders_and_replans_the_rest(inv):
    await cream(inv, oil=(("40", 20), ("30", 100), ("40", 150)), wax="80")
    plan = await plan_for_two(inv, second_priority=5)

    events = await inv.deliver(completed(plan, "B1", "65"))

    allocated = {e.order_id: e for e in events if isinstance(e, ev.OrderAllocated)}
    assert allocated["o2"].fully_allocated and not allocated["o2"].backordered
    o1 = allocated["o1"]
    assert o1.allocated_quantity() == D(55) and o1.backordered and not o1.fully_allocated
    assert [(o.line_no, o.quantity) for o in o1.outstanding] == [(1, D(5))]
    (again,) = [e for e in events if isinstance(e, ev.MaterialsReserved)]
    assert (again.order_id, again.quantity_promised, again.batch_quantity) == ("o1", D(5), D(50))
    assert again.plan_id != plan.plan_id and again.reservations
    line = (await inv.get("/orders/o1/allocations"))["lines"][0]
    assert (D(line["allocated"]), D(line["promised"]), D(line["outstanding"])) == (D(55), D(5), D(5))

    # The remainder arrives through the normal path.
    (done,) = await inv.deliver(completed(again, "B2", "50"))
    assert done.order_id == "o1" and done.fully_allocated and not done.backordered
    assert done.allocated_quantity() == D(60)
    assert (await inv.stock("CREAM"))["available"] == D(45)  # the rest of B2 is stock
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


async def test_consumption_beyond_the_shrunk_reservation_takes_free_stock_then_is_capped(inv):
    await cream(inv)
    plan = await plan_for_two(inv)
    await inv.deliver(cancelled("o1"))
    await inv.deliver(scheduled(plan.plan_id, "50"))
    oil_a, oil_b, wax = plan.reservations  # production's record: the lots reserved at planning
    wax_lot = await inv.get(f"/lots/{wax.lot_id}")
    assert D(wax_lot["on_hand"]) == D(50) and D(wax_lot["reserved"]) == D(25)
    too_much_wax = lot_quantity(**{**wax.model_dump(), "quantity": D(60)})

    (allocated,) = await inv.deliver(completed(plan, "B1", "50", consumption=[oil_a, oil_b, too_much_wax]))

    assert allocated.order_id == "o2" and allocated.fully_allocated
    used = {m["lot_no"]: m for m in await inv.get("/ledger") if m["kind"] == "consumption"}
    # OIL-A: 37.5 reserved + 2.5 free; OIL-B: 16.25 all from free stock (its reservation was released).
    assert D(used["OIL-A"]["quantity"]) == D(-40) and used["OIL-A"]["note"] == ""
    assert D(used["OIL-B"]["quantity"]) == D("-16.25")
    # WAX: 25 reserved + 25 free = all the lot had; the other 10 kg are a note, not negative stock.
    assert D(used["WAX-1"]["quantity"]) == D(-50) and "only 50" in used["WAX-1"]["note"]
    assert (await inv.stock("WAX"))["on_hand"] == D(0)
    assert (await inv.stock("OIL"))["on_hand"] == D("13.75")
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


async def test_a_recipe_published_later_plans_the_lines_that_waited_for_it(inv):
    await inv.item("OIL", base_unit="kg")
    await inv.receive("OIL", "100", "kg")
    (short,) = await inv.deliver(order("o1", ("BALM", "10", "kg")))
    assert "no item and no recipe" in short.reason

    events = await inv.deliver(recipe("BALM", [("OIL", "1", "kg")], batch_min="10", batch_multiple="5"))

    (reserved,) = events
    assert isinstance(reserved, ev.MaterialsReserved) and reserved.batch_quantity == D(10)
