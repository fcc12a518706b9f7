"""Items counted in pieces are allocated and reserved in whole pieces: FEFO never takes half
a piece from a lot, and a batch reserves whole labels even when its yield asks for 51.02."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest
from inventory_testkit import D, in_days, order, recipe

from contracts import events as ev

pytestmark = pytest.mark.integration


async def odd_lot(inv, sku: str, quantity: str, batch_no: str) -> None:
    """A lot holding a fraction of a piece, as a batch completed before pieces were checked
    could leave (receipts refuse fractions now)."""
    done = ev.BatchCompleted(
        batch_id=str(uuid.uuid4()), batch_no=batch_no, sku=sku, planned_quantity=D(quantity),
        output_quantity=D(quantity), waste_quantity=D(0), unit="pcs", completed_at=datetime.now(timezone.utc),
        expiry_date=date.fromisoformat(in_days(100)),
    )
    await inv.deliver(done)


async def test_allocation_takes_whole_pieces_from_each_lot(inv):
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await odd_lot(inv, "SOAP", "1.5", "B-HALF")
    await inv.receive("SOAP", "3", "pcs", lot_no="S1", expiry_date=in_days(300))

    (allocated,) = await inv.deliver(order("o1", ("SOAP", "2", "pcs")))

    assert allocated.fully_allocated
    assert sorted((a.lot_no, a.quantity) for a in allocated.allocations) == [("B-HALF", D(1)), ("S1", D(1))]
    rows = await inv.rows("SELECT quantity FROM allocations")
    assert all(r["quantity"] == r["quantity"].to_integral_value() for r in rows)
    # The half piece stays in its lot, never handed out: 0.5 + 2 left, 2 whole pieces free.
    (allocated2,) = [e for e in await inv.deliver(order("o2", ("SOAP", "3", "pcs"))) if isinstance(e, ev.OrderAllocated)]
    assert [(a.lot_no, a.quantity) for a in allocated2.allocations] == [("S1", D(2))]
    assert [(o.line_no, o.quantity) for o in allocated2.outstanding] == [(1, D(1))]


async def test_a_fractional_order_of_pieces_gets_whole_pieces(inv):
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await inv.receive("SOAP", "5", "pcs", lot_no="S1")
    (allocated,) = await inv.deliver(order("o1", ("SOAP", "1.5", "pcs")))
    assert [a.quantity for a in allocated.allocations] == [D(2)] and allocated.fully_allocated


async def test_a_batch_reserves_whole_labels_across_lots(inv):
    await inv.item("JAR", kind="finished", base_unit="pcs")
    await inv.item("LABEL", kind="raw", base_unit="pcs")
    await inv.item("OIL", kind="raw", base_unit="kg")
    await inv.receive("LABEL", "30", "pcs", lot_no="LA", expiry_date=in_days(100))
    await inv.receive("LABEL", "30", "pcs", lot_no="LB", expiry_date=in_days(200))
    await inv.receive("OIL", "10", "kg", lot_no="O1")
    await inv.deliver(recipe("JAR", [("LABEL", "1", "pcs"), ("OIL", "0.01", "kg")], output_unit="pcs",
                             batch_min="50", batch_multiple="10", expected_yield="0.98"))

    (reserved,) = await inv.deliver(order("o1", ("JAR", "50", "pcs")))

    assert isinstance(reserved, ev.MaterialsReserved) and reserved.batch_quantity == D(50)
    labels = sorted((r.lot_no, r.quantity) for r in reserved.reservations if r.sku == "LABEL")
    assert labels == [("LA", D(30)), ("LB", D(22))]  # 50 / 0.98 = 51.02 -> 52 whole labels
    assert (await inv.stock("LABEL"))["reserved"] == D(52)
    oil = [r.quantity for r in reserved.reservations if r.sku == "OIL"]
    assert oil == [D("0.510205")]  # mass keeps its decimals


async def test_a_shortage_of_pieces_counts_whole_pieces(inv):
    await inv.item("JAR", kind="finished", base_unit="pcs")
    await inv.item("LABEL", kind="raw", base_unit="pcs")
    await inv.receive("LABEL", "51", "pcs", lot_no="LA")
    await inv.deliver(recipe("JAR", [("LABEL", "1", "pcs")], output_unit="pcs", batch_min="50", batch_multiple="10",
                             expected_yield="0.98"))
    (short,) = await inv.deliver(order("o1", ("JAR", "50", "pcs")))
    assert isinstance(short, ev.MaterialsShort)
    assert [(s.material_sku, s.required, s.available, s.missing) for s in short.shortages] == [
        ("LABEL", D(52), D(51), D(1))]
    assert (await inv.stock("LABEL"))["reserved"] == D(0)
