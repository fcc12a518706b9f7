"""A cancellation and a batch completion (or a shipment) touching the same order at the same
moment, the two transactions interleaved by hand (real PostgreSQL, two connections): whichever
takes the product's item lock second must see what the first committed, so goods never stay
set aside for a cancelled order and goods that left are always deducted."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from inventory_testkit import D, cancelled, completed, in_days, nothing_negative, order, recipe, shipped, today

from contracts import events as ev
from devstack.testing import deliver_via_inbox, envelope_for
from devstack.waiting import poll
from inventory.handlers.batch_completed import on_batch_completed
from inventory.handlers.order_cancelled import on_order_cancelled
from inventory.handlers.shipped import on_shipped

pytestmark = pytest.mark.integration

WAITING_FOR_A_LOCK = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


async def cream_plan_for_two(inv):
    """o1 (60 kg) plans 75 kg of CREAM; o2 (10 kg) is promised on the plan's surplus."""
    await inv.item("OIL", base_unit="kg")
    await inv.item("WAX", base_unit="kg")
    await inv.item("CREAM", kind="finished", base_unit="kg")
    await inv.deliver(recipe("CREAM", [("OIL", "0.6", "kg"), ("WAX", "400", "g")], expected_yield="0.8"))
    await inv.receive("OIL", "70", "kg", lot_no="OIL-A", expiry_date=in_days(100))
    await inv.receive("WAX", "50", "kg", lot_no="WAX-1", expiry_date=in_days(60))
    (first,) = await inv.deliver(order("o1", ("CREAM", "60", "kg"), minutes_ago=10))
    (second,) = await inv.deliver(order("o2", ("CREAM", "10", "kg")))
    assert second.plan_id == first.plan_id and second.reservations == []
    return first


async def held_open_while(inv, handler, event, then):
    """Run `handler` for `event` in its own transaction and keep that transaction open (its
    locks held) while `then()` starts on another connection; commit once `then`'s work waits
    for a lock, and return `then`'s result when it finished."""
    async with inv.rt.uow.handling(envelope_for(event)) as ctx:
        await handler(ctx, event)
        other = asyncio.create_task(then())
        await poll(lambda: inv.scalar(WAITING_FOR_A_LOCK), deadline=60, what="the second transaction to wait for a lock")
        assert not other.done()
    return await asyncio.wait_for(other, 60)


async def open_allocations(inv, order_id: str) -> D:
    return await inv.scalar(
        "SELECT COALESCE(SUM(quantity - shipped - released), 0) FROM allocations WHERE order_id = :o", o=order_id
    )


async def open_promises(inv, order_id: str) -> D:
    return await inv.scalar(
        "SELECT COALESCE(SUM(quantity - allocated - released), 0) FROM promises WHERE order_id = :o", o=order_id
    )


async def stock_released(inv, order_id: str) -> list[ev.StockReleased]:
    return [e for e in await inv.emitted() if isinstance(e, ev.StockReleased) and e.order_id == order_id]


async def test_a_cancel_waiting_behind_a_completion_releases_what_it_allocated_to_the_order(inv):
    reserved = await cream_plan_for_two(inv)
    # The completion has allocated its output (o1 60 kg, o2 10 kg) and holds CREAM's item
    # lock; the cancellation of o2 read o2's open promise before that commit.
    await held_open_while(
        inv, on_batch_completed, completed(reserved, "B-1", "72"),
        lambda: deliver_via_inbox(inv.consumer, cancelled("o2")),
    )

    assert await open_allocations(inv, "o2") == D(0) and await open_promises(inv, "o2") == D(0)
    assert await open_allocations(inv, "o1") == D(60)
    (lot,) = await inv.get("/lots", sku="CREAM")
    assert (D(lot["on_hand"]), D(lot["allocated"]), D(lot["available"])) == (D(72), D(60), D(12))
    (released,) = await stock_released(inv, "o2")
    assert [(a.lot_no, a.quantity) for a in released.allocations] == [("B-1", D(10))]
    assert released.promises == []  # the promise was fulfilled by the completion, not dropped
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


async def test_a_cancel_waiting_behind_a_completion_releases_stock_it_gave_a_waiting_line(inv):
    # SOAP has no recipe: o1 and o2 wait for it. A batch made here without a plan (stock)
    # completes, and its resumption gives o1 (older) 6 pcs and o2 the other 4.
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await inv.deliver(order("o1", ("SOAP", "6", "pcs"), minutes_ago=10))
    await inv.deliver(order("o2", ("SOAP", "8", "pcs")))
    made = ev.BatchCompleted(
        batch_id="batch-soap", batch_no="B-SOAP", sku="SOAP", planned_quantity=D(10), output_quantity=D(10),
        waste_quantity=D(0), unit="pcs", expiry_date=today() + timedelta(days=200),
        completed_at=datetime.now(timezone.utc),
    )

    await held_open_while(inv, on_batch_completed, made, lambda: deliver_via_inbox(inv.consumer, cancelled("o1")))

    # o1's 6 pcs went back and on to o2, which waited for them.
    assert await open_allocations(inv, "o1") == D(0)
    assert await open_allocations(inv, "o2") == D(8)
    stock = await inv.stock("SOAP")
    assert (stock["on_hand"], stock["allocated"], stock["available"]) == (D(10), D(8), D(2))
    (released,) = await stock_released(inv, "o1")
    assert [(a.lot_no, a.quantity) for a in released.allocations] == [("B-SOAP", D(6))]
    o2 = (await inv.get("/orders/o2/allocations"))["lines"][0]
    assert D(o2["waiting"]) == D(0) and D(o2["outstanding"]) == D(0)
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


async def test_a_completion_waiting_behind_a_cancel_allocates_nothing_to_the_cancelled_order(inv):
    reserved = await cream_plan_for_two(inv)

    await held_open_while(
        inv, on_order_cancelled, cancelled("o2"),
        lambda: deliver_via_inbox(inv.consumer, completed(reserved, "B-1", "72")),
    )

    assert await open_allocations(inv, "o2") == D(0) and await open_promises(inv, "o2") == D(0)
    assert await open_allocations(inv, "o1") == D(60)
    (lot,) = await inv.get("/lots", sku="CREAM")
    assert (D(lot["allocated"]), D(lot["available"])) == (D(60), D(12))
    (released,) = await stock_released(inv, "o2")
    assert released.allocations == [] and [p.quantity for p in released.promises] == [D(10)]
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


async def soap_allocated_to_o1(inv) -> ev.OrderAllocated:
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await inv.receive("SOAP", "10", "pcs", lot_no="S1", expiry_date=in_days(90))
    (allocated,) = await inv.deliver(order("o1", ("SOAP", "4", "pcs")))
    return allocated


async def test_a_shipment_waiting_behind_a_cancel_still_deducts_the_goods_that_left(inv):
    allocated = await soap_allocated_to_o1(inv)

    await held_open_while(inv, on_order_cancelled, cancelled("o1"), lambda: deliver_via_inbox(inv.consumer, shipped(allocated)))

    stock = await inv.stock("SOAP")
    assert (stock["on_hand"], stock["allocated"], stock["available"]) == (D(6), D(0), D(6))
    (row,) = await inv.rows("SELECT shipped, released, status FROM allocations WHERE order_id = 'o1'")
    assert (row["shipped"], row["released"], row["status"]) == (D(4), D(0), "shipped")
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


async def test_a_cancel_waiting_behind_a_shipment_releases_nothing_that_left(inv):
    allocated = await soap_allocated_to_o1(inv)

    await held_open_while(inv, on_shipped, shipped(allocated), lambda: deliver_via_inbox(inv.consumer, cancelled("o1")))

    stock = await inv.stock("SOAP")
    assert (stock["on_hand"], stock["allocated"], stock["available"]) == (D(6), D(0), D(6))
    assert await stock_released(inv, "o1") == []  # nothing was left to give back
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)
