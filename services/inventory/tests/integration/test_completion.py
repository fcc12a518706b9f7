"""BatchCompleted: consumption by the actual list, the finished lot, allocation of the
output to the orders promised against the plan; Shipped deducts stock."""

from __future__ import annotations

import pytest
from inventory_testkit import D, completed, in_days, lot_quantity, order, recipe, shipped

from contracts import events as ev

pytestmark = pytest.mark.integration


async def plan_for_two_orders(inv, second_priority: int = 0):
    """o1 (60 kg) makes a plan of 75 kg; o2 (10 kg) is promised against its surplus."""
    await inv.item("OIL", base_unit="kg")
    await inv.item("WAX", base_unit="kg")
    await inv.item("CREAM", kind="finished", base_unit="kg")  # recipes never create items
    await inv.deliver(recipe("CREAM", [("OIL", "0.6", "kg"), ("WAX", "400", "g")], expected_yield="0.8"))
    await inv.receive("OIL", "40", "kg", supplier_lot_no="SUP-OIL-A", expiry_date=in_days(20))
    await inv.receive("OIL", "30", "kg", supplier_lot_no="SUP-OIL-B", expiry_date=in_days(100))
    await inv.receive("WAX", "50", "kg", supplier_lot_no="SUP-WAX", expiry_date=in_days(60))
    (first,) = await inv.deliver(order("o1", ("CREAM", "60", "kg"), minutes_ago=10))
    (second,) = await inv.deliver(order("o2", ("CREAM", "10", "kg"), priority=second_priority))
    assert second.plan_id == first.plan_id
    return first


async def test_completion_consumes_creates_the_lot_and_allocates_to_both_orders(inv):
    reserved = await plan_for_two_orders(inv)
    oil_a, oil_b, wax = reserved.reservations
    # Actually used: all of OIL lot A, 15 kg of lot B (16.25 were reserved), the wax as planned.
    used = [oil_a, lot_quantity(**{**oil_b.model_dump(), "quantity": D(15)}), wax]

    events = await inv.deliver(completed(reserved, "B260601-0001", "72", consumption=used))

    assert [type(e) for e in events] == [ev.OrderAllocated, ev.OrderAllocated]
    by_order = {e.order_id: e for e in events}
    assert by_order["o1"].fully_allocated and by_order["o1"].allocated_quantity() == D(60)
    assert by_order["o2"].fully_allocated and by_order["o2"].allocated_quantity() == D(10)
    assert {a.lot_no for e in events for a in e.allocations} == {"B260601-0001"}

    (lot,) = await inv.get("/lots", sku="CREAM")
    assert (lot["lot_no"], lot["source"], lot["batch_id"]) == ("B260601-0001", "production", reserved.plan_id)
    assert (D(lot["on_hand"]), D(lot["allocated"]), D(lot["available"])) == (D(72), D(70), D(2))  # surplus stays in stock
    oil = await inv.stock("OIL")
    assert (oil["on_hand"], oil["reserved"], oil["available"]) == (D(15), D(0), D(15))  # 1.25 kg released
    wax_stock = await inv.stock("WAX")
    assert (wax_stock["on_hand"], wax_stock["reserved"]) == (D("12.5"), D(0))
    consumption = await inv.get("/ledger", sku="OIL")
    assert sorted((D(m["quantity"]), m["batch_id"]) for m in consumption if m["kind"] == "consumption") == [
        (D(-40), reserved.plan_id), (D(-15), reserved.plan_id)]
    (plan,) = await inv.get("/plans", status="completed")
    assert plan["batch_no"] == "B260601-0001" and D(plan["output_quantity"]) == D(72)
    assert await inv.ledger_matches_on_hand()


async def test_yield_shortfall_serves_higher_priority_first_and_the_rest_waits_backordered(inv):
    reserved = await plan_for_two_orders(inv, second_priority=5)

    events = await inv.deliver(completed(reserved, "B1", "65"))

    by_order = {e.order_id: e for e in events if isinstance(e, ev.OrderAllocated)}
    assert by_order["o2"].fully_allocated and by_order["o2"].allocated_quantity() == D(10)
    assert not by_order["o1"].fully_allocated and by_order["o1"].allocated_quantity() == D(55)
    assert by_order["o1"].backordered  # the 55 kg may ship now
    assert [(o.line_no, o.quantity) for o in by_order["o1"].outstanding] == [(1, D(5))]
    # The missing 5 kg is re-planned: too little material left for a new batch, so it waits.
    (short,) = [e for e in events if isinstance(e, ev.MaterialsShort)]
    assert (short.order_id, short.quantity) == ("o1", D(5))
    assert await inv.scalar("SELECT shortfall FROM completed_batches") == D(5)
    line = (await inv.get("/orders/o1/allocations"))["lines"][0]
    assert (D(line["outstanding"]), D(line["waiting"]), D(line["promised"])) == (D(5), D(5), D(0))


async def test_shipment_deducts_stock_once(inv):
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await inv.receive("SOAP", "10", "pcs", lot_no="S1", expiry_date=in_days(30))
    await inv.receive("SOAP", "10", "pcs", lot_no="S2", expiry_date=in_days(40))
    (allocated,) = await inv.deliver(order("o1", ("SOAP", "12", "pcs")))
    event = shipped(allocated)

    assert await inv.deliver(event) == []
    stock = await inv.stock("SOAP")
    assert (stock["on_hand"], stock["allocated"], stock["available"]) == (D(8), D(0), D(8))
    view = await inv.get("/orders/o1/allocations")
    assert {a["status"] for a in view["allocations"]} == {"shipped"}
    assert D(view["lines"][0]["shipped"]) == D(12)
    shipments = [m for m in await inv.get("/ledger", sku="SOAP") if m["kind"] == "shipment"]
    assert sorted(D(m["quantity"]) for m in shipments) == [D(-10), D(-2)]
    assert {(m["order_id"], m["shipment_id"]) for m in shipments} == {("o1", "SH-1")}

    await inv.deliver(event)  # the same fact again under a new event id
    assert (await inv.stock("SOAP"))["on_hand"] == D(8)
    assert await inv.ledger_matches_on_hand()


async def test_traces_both_ways_after_production_and_shipment(inv):
    reserved = await plan_for_two_orders(inv)
    events = await inv.deliver(completed(reserved, "B7", "70"))
    await inv.deliver(shipped(next(e for e in events if e.order_id == "o1")))

    back = await inv.get("/orders/o1/trace")
    (entry,) = back["lots"]
    assert entry["status"] == "shipped" and entry["lot"]["lot"]["lot_no"] == "B7"
    ingredients = entry["lot"]["batch"]["ingredients"]
    assert sorted(i["lot"]["lot"]["supplier_lot_no"] for i in ingredients) == ["SUP-OIL-A", "SUP-OIL-B", "SUP-WAX"]

    oil_a = reserved.reservations[0].lot_id
    forward = await inv.get(f"/lots/{oil_a}/trace")
    (batch,) = forward["consumed_by"]
    assert batch["batch_no"] == "B7" and D(batch["consumed"]) == D(40)
    (finished,) = batch["finished_lots"]
    assert {(o["order_id"], o["status"], o["customer"]) for o in finished["orders"]} == {
        ("o1", "shipped", "Customer o1"), ("o2", "allocated", "Customer o2")}
    assert (await inv.api.get("/orders/nobody/trace")).status_code == 404
    assert (await inv.api.get("/lots/nothing/trace")).status_code == 404
