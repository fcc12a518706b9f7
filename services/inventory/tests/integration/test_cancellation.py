"""OrderCancelled: finished stock and plan promises go back (StockReleased) and are offered
to the orders waiting for them; a cancel that overtakes its OrderPlaced, or comes twice,
sets nothing aside and says nothing."""

from __future__ import annotations

import asyncio
import re

import pytest
from inventory_testkit import (
    D, batch_cancelled, cancelled, in_days, nothing_negative, order, receipt_events, recipe, reserved_by_lot, shipped,
)

from contracts import events as ev

pytestmark = pytest.mark.integration


async def soap_in_stock(inv, pcs="10"):
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    return await inv.receive("SOAP", pcs, "pcs", lot_no="S1", expiry_date=in_days(90))


async def cream_plan_for_two(inv):
    """o1 (60 kg) plans 75 kg of CREAM (materials reserved); o2 (10 kg) is promised on its surplus."""
    await inv.item("OIL", base_unit="kg")
    await inv.item("WAX", base_unit="kg")
    await inv.item("CREAM", kind="finished", base_unit="kg")  # recipes never create items
    await inv.deliver(recipe("CREAM", [("OIL", "0.6", "kg"), ("WAX", "400", "g")], expected_yield="0.8"))
    await inv.receive("OIL", "40", "kg", lot_no="OIL-A", expiry_date=in_days(20))
    await inv.receive("OIL", "30", "kg", lot_no="OIL-B", expiry_date=in_days(100))
    await inv.receive("WAX", "50", "kg", lot_no="WAX-1", expiry_date=in_days(60))
    (first,) = await inv.deliver(order("o1", ("CREAM", "60", "kg"), minutes_ago=10))
    (second,) = await inv.deliver(order("o2", ("CREAM", "10", "kg")))
    assert second.plan_id == first.plan_id and second.reservations == []
    return first


async def test_cancel_releases_allocated_stock_and_gives_it_to_the_waiting_order(inv):
    await soap_in_stock(inv)
    (allocated,) = await inv.deliver(order("o1", ("SOAP", "10", "pcs"), minutes_ago=5))
    (short,) = await inv.deliver(order("o2", ("SOAP", "6", "pcs")))
    assert allocated.fully_allocated and isinstance(short, ev.MaterialsShort)  # no recipe: it waits
    assert (await inv.stock("SOAP"))["available"] == D(0)

    released, given = await inv.deliver(cancelled("o1", "wrong address"))

    assert isinstance(released, ev.StockReleased) and released.order_id == "o1"
    assert [(a.lot_no, a.quantity, a.line_no) for a in released.allocations] == [("S1", D(10), 1)]
    assert released.promises == [] and released.reason == "wrong address"
    assert isinstance(given, ev.OrderAllocated) and given.order_id == "o2" and given.fully_allocated
    assert [(a.lot_no, a.quantity) for a in given.allocations] == [("S1", D(6))]
    stock = await inv.stock("SOAP")
    assert (stock["on_hand"], stock["allocated"], stock["available"]) == (D(10), D(6), D(4))
    view = await inv.get("/orders/o1/allocations")
    assert view["cancelled_at"] and [ln["status"] for ln in view["lines"]] == ["cancelled"]
    assert [(a["status"], D(a["released"])) for a in view["allocations"]] == [("released", D(10))]
    waiting = (await inv.get("/orders/o2/allocations"))["lines"][0]
    assert D(waiting["waiting"]) == D(0) and D(waiting["outstanding"]) == D(0)
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


async def test_cancel_drops_the_promise_and_the_plan_surplus_comes_back(inv):
    reserved = await cream_plan_for_two(inv)
    before = await reserved_by_lot(inv, reserved.plan_id)

    (released,) = await inv.deliver(cancelled("o2"))

    assert released.allocations == []
    assert [(p.plan_id, p.line_no, p.quantity) for p in released.promises] == [(reserved.plan_id, 1, D(10))]
    (plan,) = await inv.get("/plans", status="planned")
    assert (D(plan["promised"]), D(plan["surplus"])) == (D(60), D(15))
    # Material reservations stay with the plan: production decides the batch's fate.
    assert await reserved_by_lot(inv, reserved.plan_id) == before
    line = (await inv.get("/orders/o2/allocations"))["lines"][0]
    assert (line["status"], D(line["promised"])) == ("cancelled", D(0))

    # The regained surplus is promised to the next order.
    (promised,) = await inv.deliver(order("o3", ("CREAM", "15", "kg")))
    assert isinstance(promised, ev.MaterialsReserved) and promised.plan_id == reserved.plan_id
    assert promised.quantity_promised == D(15) and promised.reservations == []


async def test_cancel_of_a_waiting_order_clears_its_shortage_and_says_nothing(inv):
    await inv.item("OIL", base_unit="kg")
    await inv.item("WAX", base_unit="kg")
    await inv.item("CREAM", kind="finished", base_unit="kg")  # recipes never create items
    await inv.deliver(recipe("CREAM", [("OIL", "0.6", "kg"), ("WAX", "400", "g")]))
    (short,) = await inv.deliver(order("o1", ("CREAM", "50", "kg")))
    assert isinstance(short, ev.MaterialsShort)
    assert [s["material_sku"] for s in await inv.get("/shortages")] == ["OIL", "WAX"]

    assert await inv.deliver(cancelled("o1")) == []  # nothing was set aside
    assert await inv.get("/shortages") == []
    # Materials arriving later do not revive the cancelled order.
    assert await receipt_events(inv, "OIL", "100") == []
    assert await receipt_events(inv, "WAX", "100") == []
    assert await inv.get("/plans") == []
    assert (await inv.get("/orders/o1/allocations"))["lines"][0]["status"] == "cancelled"


async def test_cancel_before_the_order_arrives_then_the_order_sets_nothing_aside(inv):
    await soap_in_stock(inv)

    assert await inv.deliver(cancelled("o9")) == []
    assert await inv.deliver(order("o9", ("SOAP", "4", "pcs"))) == []

    assert (await inv.stock("SOAP"))["available"] == D(10)
    assert (await inv.api.get("/orders/o9/allocations")).status_code == 404
    # The stock is still there for the next order.
    (allocated,) = await inv.deliver(order("o10", ("SOAP", "10", "pcs")))
    assert allocated.fully_allocated


async def test_a_second_cancel_changes_nothing_and_says_nothing(inv):
    await soap_in_stock(inv)
    await inv.deliver(order("o1", ("SOAP", "4", "pcs")))
    (released,) = await inv.deliver(cancelled("o1"))
    assert isinstance(released, ev.StockReleased)
    await inv.deliver(order("o2", ("SOAP", "8", "pcs")))  # takes 8 of the 10 free

    assert await inv.deliver(cancelled("o1")) == []  # same fact, another event id
    stock = await inv.stock("SOAP")
    assert (stock["on_hand"], stock["allocated"], stock["available"]) == (D(10), D(8), D(2))
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


async def test_goods_shipped_although_cancelled_still_leave_the_stock(inv):
    await soap_in_stock(inv)
    (allocated,) = await inv.deliver(order("o1", ("SOAP", "4", "pcs")))
    await inv.deliver(cancelled("o1"))

    await inv.deliver(shipped(allocated))  # the carrier had it already: reality wins

    stock = await inv.stock("SOAP")
    assert (stock["on_hand"], stock["allocated"], stock["available"]) == (D(6), D(0), D(6))
    (move,) = [m for m in await inv.get("/ledger", sku="SOAP") if m["kind"] == "shipment"]
    assert D(move["quantity"]) == D(-4) and "cancellation" in move["note"]
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


async def test_released_goods_of_one_lot_shipped_together_leave_only_what_was_free(inv):
    """Two released allocations in one lot, shipped by one Shipped: the second is deducted
    from what the first left free (a step's lot changes are written together, so each
    decision must see the ones before it), and a redelivery deducts nothing more."""
    await soap_in_stock(inv)  # one lot of 10
    (allocated,) = await inv.deliver(order("o1", ("SOAP", "4", "pcs"), ("SOAP", "4", "pcs")))
    assert len({a.lot_id for a in allocated.allocations}) == 1 and len(allocated.allocations) == 2
    await inv.deliver(cancelled("o1"))
    await inv.deliver(order("o2", ("SOAP", "5", "pcs")))  # 5 of the 10 allocated again: 5 free

    event = shipped(allocated)
    await inv.deliver(event)  # the carrier had both lines already
    await inv.deliver(event)  # the same fact again under a new event id

    stock = await inv.stock("SOAP")
    assert (stock["on_hand"], stock["allocated"], stock["available"]) == (D(5), D(5), D(0))
    moves = sorted(D(m["quantity"]) for m in await inv.get("/ledger", sku="SOAP") if m["kind"] == "shipment")
    assert moves == [D(-4), D(-1)]
    notes = [m["note"] for m in await inv.get("/ledger", sku="SOAP") if m["kind"] == "shipment"]
    assert any(re.search(r"only 1(\.0*)? was free", n) for n in notes), notes
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


@pytest.mark.parametrize("first", ["batch cancel naming the order", "batch cancel of an older producer", "order cancel"])
async def test_order_and_batch_cancellations_converge_in_either_order(inv, first):
    """Production cancels the batch of a cancelled order; the two events race on different topics."""
    await inv.item("OIL", base_unit="kg")
    await inv.item("WAX", base_unit="kg")
    await inv.item("CREAM", kind="finished", base_unit="kg")  # recipes never create items
    await inv.deliver(recipe("CREAM", [("OIL", "0.6", "kg"), ("WAX", "400", "g")], expected_yield="0.8"))
    await inv.receive("OIL", "70", "kg")
    await inv.receive("WAX", "50", "kg")
    (plan,) = await inv.deliver(order("o1", ("CREAM", "60", "kg")))

    if first == "batch cancel naming the order":
        # Production says the batch went because o1 was cancelled: nothing is planned again
        # (no new plan, no batch number, no "materials reserved" after "cancelled")...
        assert await inv.deliver(batch_cancelled(plan.plan_id, cancelled_orders=("o1",))) == []
        assert await inv.get("/plans", status="planned") == []
        # ...and the cancellation, arriving next, finds the promise gone: nothing more to release.
        assert await inv.deliver(cancelled("o1")) == []
        line = (await inv.get("/orders/o1/allocations"))["lines"][0]
        assert D(line["promised"]) == 0 and D(line["waiting"]) == 0
    elif first == "batch cancel of an older producer":
        # Without that word the live-looking order is re-planned on a new plan...
        (again,) = await inv.deliver(batch_cancelled(plan.plan_id))
        assert isinstance(again, ev.MaterialsReserved) and again.plan_id != plan.plan_id
        (released,) = await inv.deliver(cancelled("o1"))
        assert [p.plan_id for p in released.promises] == [again.plan_id]
        # ...which production cancels on sight (the order is cancelled there): its material returns.
        assert await inv.deliver(batch_cancelled(again.plan_id, cancelled_orders=("o1",))) == []
    else:
        await inv.deliver(cancelled("o1"))
        assert await inv.deliver(batch_cancelled(plan.plan_id, cancelled_orders=("o1",))) == []

    for sku in ("OIL", "WAX"):
        stock = await inv.stock(sku)
        assert stock["reserved"] == D(0) and stock["available"] == stock["on_hand"]
    assert await inv.get("/plans", status="planned") == []
    assert await inv.ledger_matches_on_hand() and await nothing_negative(inv)


async def test_placing_and_cancelling_at_once_on_two_instances_sets_nothing_aside(inv, twin):
    await soap_in_stock(inv)
    for n in range(5):
        order_id = f"race{n}"
        await asyncio.gather(inv.deliver(order(order_id, ("SOAP", "3", "pcs"))), twin.deliver(cancelled(order_id)))
    stock = await inv.stock("SOAP")
    assert (stock["allocated"], stock["available"]) == (D(0), D(10))
    assert await nothing_negative(inv)
