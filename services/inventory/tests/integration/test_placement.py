"""OrderPlaced: finished stock first (FEFO), then plan surplus, then a new plan with its
materials reserved, else a shortage the operator can act on."""

from __future__ import annotations

import pytest
from inventory_testkit import D, in_days, order, recipe

from contracts import events as ev

pytestmark = pytest.mark.integration


async def cream_catalog(inv, oil_lots=(("40", 20), ("30", 100)), wax_g="50000", yield_="0.8"):
    await inv.item("OIL", base_unit="kg")
    await inv.item("WAX", base_unit="kg", supplier_lead_time_days=7)
    await inv.item("CREAM", kind="finished", base_unit="kg")  # recipes never create items
    await inv.deliver(recipe("CREAM", [("OIL", "0.6", "kg"), ("WAX", "400", "g")], expected_yield=yield_))
    lots = [await inv.receive("OIL", q, "kg", supplier_lot_no=f"SUP-OIL-{i}", expiry_date=in_days(days))
            for i, (q, days) in enumerate(oil_lots)]
    if wax_g:
        await inv.receive("WAX", wax_g, "g", supplier_lot_no="SUP-WAX", expiry_date=in_days(60))
    return lots


async def test_from_stock_allocates_fefo_and_never_an_expired_lot(inv):
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    late = await inv.receive("SOAP", "10", "pcs", lot_no="LATE", expiry_date=in_days(30))
    early = await inv.receive("SOAP", "10", "pcs", lot_no="EARLY", expiry_date=in_days(10))
    await inv.receive("SOAP", "100", "pcs", lot_no="OLD", received_date=in_days(-60), expiry_date=in_days(-1))

    (allocated,) = await inv.deliver(order("o1", ("SOAP", "15", "pcs")))

    assert isinstance(allocated, ev.OrderAllocated) and allocated.fully_allocated and allocated.outstanding == []
    assert [(a.lot_no, a.quantity) for a in allocated.allocations] == [("EARLY", D(10)), ("LATE", D(5))]
    assert {a.lot_id for a in allocated.allocations} == {early["lot_id"], late["lot_id"]}
    stock = await inv.stock("SOAP")
    assert (stock["on_hand"], stock["allocated"], stock["available"], stock["expired"]) == (D(120), D(15), D(5), D(100))
    view = await inv.get("/orders/o1/allocations")
    assert view["fully_allocated"] and [a["lot_no"] for a in view["allocations"]] == ["EARLY", "LATE"]


async def test_order_in_another_unit_is_converted_to_the_item_base_unit(inv):
    await inv.item("BALM", kind="finished", base_unit="kg")
    await inv.receive("BALM", "3", "kg", lot_no="B1")
    (allocated,) = await inv.deliver(order("o1", ("BALM", "2500", "g")))
    assert allocated.allocations[0].quantity == D("2.5") and allocated.allocations[0].unit == "kg"
    assert (await inv.stock("BALM"))["available"] == D("0.5")


async def test_make_to_order_sizes_the_batch_and_reserves_materials_fefo(inv):
    oil_early, oil_late = await cream_catalog(inv)

    (reserved,) = await inv.deliver(order("o1", ("CREAM", "60", "kg")))

    # 60 kg -> batch max(50, ceil(60/25)*25) = 75 kg; OIL 75 x 0.6 / 0.8 = 56.25 kg;
    # WAX 75 x 400 g / 0.8 = 37500 g = 37.5 kg.
    assert isinstance(reserved, ev.MaterialsReserved)
    assert (reserved.quantity_promised, reserved.batch_quantity, reserved.unit) == (D(60), D(75), "kg")
    assert (reserved.recipe_version, reserved.lead_time_days) == (1, 3)
    assert [(r.sku, r.lot_id, r.quantity) for r in reserved.reservations] == [
        ("OIL", oil_early["lot_id"], D(40)), ("OIL", oil_late["lot_id"], D("16.25")), ("WAX", reserved.reservations[2].lot_id, D("37.5")),
    ]
    oil = await inv.stock("OIL")
    assert (oil["on_hand"], oil["reserved"], oil["available"]) == (D(70), D("56.25"), D("13.75"))
    (plan,) = await inv.get("/plans")
    assert plan["plan_id"] == reserved.plan_id and D(plan["surplus"]) == D(15) and plan["status"] == "planned"


async def test_shortage_reports_exact_missing_quantities_and_reserves_nothing(inv):
    await cream_catalog(inv, oil_lots=(("20", 30),), wax_g=None)

    (short,) = await inv.deliver(order("o1", ("CREAM", "60", "kg")))

    assert isinstance(short, ev.MaterialsShort) and short.quantity == D(60) and short.reason == ""
    assert [(s.material_sku, s.required, s.available, s.missing, s.unit) for s in short.shortages] == [
        ("OIL", D("56.25"), D(20), D("36.25"), "kg"), ("WAX", D("37.5"), D(0), D("37.5"), "kg"),
    ]
    assert (await inv.stock("OIL"))["reserved"] == 0 and await inv.get("/plans") == []
    shortages = {s["material_sku"]: s for s in await inv.get("/shortages")}
    assert D(shortages["OIL"]["missing"]) == D("36.25") and shortages["OIL"]["supplier_lead_time_days"] is None
    assert D(shortages["WAX"]["missing"]) == D("37.5") and shortages["WAX"]["supplier_lead_time_days"] == 7
    assert [o["order_id"] for o in shortages["WAX"]["orders"]] == ["o1"]
    line = (await inv.get("/orders/o1/allocations"))["lines"][0]
    assert D(line["waiting"]) == D(60) and D(line["outstanding"]) == D(60)


async def test_two_waiting_orders_add_up_in_the_shortage_list(inv):
    await cream_catalog(inv, oil_lots=(("20", 30),), wax_g="100000")
    await inv.deliver(order("o1", ("CREAM", "60", "kg")))
    await inv.deliver(order("o2", ("CREAM", "40", "kg")))  # batch 50: OIL 37.5
    (oil,) = [s for s in await inv.get("/shortages") if s["material_sku"] == "OIL"]
    assert D(oil["required"]) == D("93.75") and D(oil["available"]) == D(20) and D(oil["missing"]) == D("73.75")
    assert [o["order_id"] for o in oil["orders"]] == ["o1", "o2"]


async def test_unknown_sku_and_missing_recipe_wait_with_a_reason(inv):
    await inv.item("GIFTBOX", kind="finished", base_unit="pcs")
    events = await inv.deliver(order("o1", ("NOPE", "1", "pcs"), ("GIFTBOX", "2", "pcs")))
    assert [type(e) for e in events] == [ev.MaterialsShort, ev.MaterialsShort]
    assert "unknown SKU NOPE" in events[0].reason and "no recipe for GIFTBOX" in events[1].reason
    assert all(e.shortages == [] for e in events)


async def test_mixed_order_takes_stock_for_one_line_and_makes_the_other(inv):
    await cream_catalog(inv)
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await inv.receive("SOAP", "5", "pcs", lot_no="S1")

    events = await inv.deliver(order("o1", ("SOAP", "5", "pcs"), ("CREAM", "60", "kg")))

    assert [type(e) for e in events] == [ev.MaterialsReserved, ev.OrderAllocated]
    reserved, allocated = events
    assert reserved.line_no == 2 and allocated.allocations[0].line_no == 1
    assert not allocated.fully_allocated
    assert [(o.line_no, o.quantity) for o in allocated.outstanding] == [(2, D(60))]


async def test_later_order_is_promised_against_the_plan_surplus(inv):
    await cream_catalog(inv, oil_lots=(("40", 20), ("30", 100), ("100", 200)), wax_g="100000")
    (first,) = await inv.deliver(order("o1", ("CREAM", "60", "kg")))
    (second,) = await inv.deliver(order("o2", ("CREAM", "10", "kg")))
    assert isinstance(second, ev.MaterialsReserved)
    assert (second.plan_id, second.quantity_promised, second.reservations) == (first.plan_id, D(10), [])
    (plan,) = await inv.get("/plans")
    assert D(plan["promised"]) == D(70) and D(plan["surplus"]) == D(5)
    # More than the surplus: the surplus is promised, the rest gets a plan of its own.
    events = await inv.deliver(order("o3", ("CREAM", "20", "kg")))
    assert [(type(e).__name__, e.quantity_promised) for e in events] == [("MaterialsReserved", D(5)), ("MaterialsReserved", D(15))]
    assert events[0].plan_id == first.plan_id and events[1].plan_id != first.plan_id
