"""Open purchase orders at inventory (purchasing_replica.py): expected supply dates waiting
lines and quotes instead of the supplier's lead time; a receipt against a PO line is checked
against the PO's tolerance at the door and announced as GoodsReceived; a cancelled PO is no
longer expected; every PO event twice changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from inventory_testkit import D, order, recipe, today

from contracts import events as ev
from contracts.events.purchasing import PurchaseOrderLine

pytestmark = pytest.mark.integration


def po_placed(po_id: str, sku: str, quantity: str, days: int, unit: str = "kg", tolerance: str = "0.05",
              line_no: int = 1) -> ev.PurchaseOrderPlaced:
    return ev.PurchaseOrderPlaced(
        purchase_order_id=po_id, po_no=f"PO-{po_id}", supplier_id="s-1", supplier_name="Oil Co",
        lines=[PurchaseOrderLine(line_no=line_no, material_sku=sku, quantity=D(quantity), unit=unit,
                                 expected_date=today() + timedelta(days=days))],
        receipt_tolerance=D(tolerance), sent_at=datetime.now(timezone.utc),
    )


def po_cancelled(po_id: str) -> ev.PurchaseOrderCancelled:
    return ev.PurchaseOrderCancelled(purchase_order_id=po_id, po_no=f"PO-{po_id}", cancelled_at=datetime.now(timezone.utc))


async def soap_waiting_for_oil(inv) -> ev.MaterialsShort:
    """SOAP from 0.1 kg OIL each (batches of 50, 2 days to make), OIL 14 days from the
    supplier, none in stock: an order of 50 waits for 5 kg."""
    await inv.item("OIL", base_unit="kg", supplier_lead_time_days=14)
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await inv.deliver(recipe("SOAP", [("OIL", "0.1", "kg")], output_unit="pcs", batch_min="50", batch_multiple="10",
                             lead_time_days=2))
    (short,) = await inv.deliver(order("o1", ("SOAP", "50", "pcs")))
    assert isinstance(short, ev.MaterialsShort)
    assert short.expected_date == today() + timedelta(days=16)  # lead time 14 + making 2
    return short


async def test_an_open_po_dates_the_waiting_line_and_the_quote_and_its_cancellation_undoes_it(inv):
    await soap_waiting_for_oil(inv)
    # A PO too small to cover the 5 kg changes nothing; one that covers it (by its date) does.
    assert await inv.deliver(po_placed("po-small", "OIL", "2", days=3)) == []
    (redated,) = await inv.deliver(po_placed("po-big", "OIL", "4000", days=5, unit="g"))
    assert isinstance(redated, ev.MaterialsShort) and redated.expected_date == today() + timedelta(days=7)
    q = await inv.get("/quote", sku="SOAP", quantity="50", unit="pcs")
    assert q["materials_ready_on"] == (today() + timedelta(days=5)).isoformat()
    assert "on order, expected" in q["explanation"]
    supply = await inv.get("/expected-supply", sku="OIL")
    assert {(s["purchase_order_id"], D(s["open_quantity"])) for s in supply} == {("po-small", 2), ("po-big", 4)}

    (back,) = await inv.deliver(po_cancelled("po-big"))
    assert back.expected_date == today() + timedelta(days=16)
    assert [s["purchase_order_id"] for s in await inv.get("/expected-supply", sku="OIL")] == ["po-small"]


async def test_receipts_against_a_po_line_within_its_tolerance(inv):
    await soap_waiting_for_oil(inv)
    await inv.deliver(po_placed("po-1", "OIL", "10", days=5, tolerance="0.05"))

    async def receive(quantity, unit="kg", **extra):
        body = {"sku": "OIL", "quantity": quantity, "unit": unit, "purchase_order_id": "po-1", "po_line": 1,
                "supplier_lot_no": "SUP-7", **extra}
        return await inv.api.post("/receipts", json=body)

    first = await receive("6")
    assert first.status_code == 201, first.text
    goods = [e for e in await inv.emitted() if isinstance(e, ev.GoodsReceived)]
    assert [(g.purchase_order_id, g.po_line, g.base_quantity, g.supplier_lot_no, g.lot_id) for g in goods] == [
        ("po-1", 1, D(6), "SUP-7", first.json()["lot_id"])]
    # The waiting order got its 5 kg (and the receipt's transaction said so).
    assert any(isinstance(e, ev.MaterialsReserved) and e.order_id == "o1" for e in await inv.emitted())

    over = await receive("4600", "g")  # 6 + 4.6 > 10.5
    assert over.status_code == 422 and "beyond the tolerance of 5 %" in over.json()["detail"]
    assert "at most 4.5 kg more" in over.json()["detail"]
    assert (await receive("4.5")).status_code == 201  # exactly the limit
    line = await inv.rows("SELECT received FROM po_lines WHERE purchase_order_id = 'po-1'")
    assert line == [{"received": D("10.5")}]
    assert len([e for e in await inv.emitted() if isinstance(e, ev.GoodsReceived)]) == 2


async def test_receipts_against_unknown_cancelled_or_foreign_po_lines_are_refused(inv):
    await soap_waiting_for_oil(inv)
    await inv.item("WAX", base_unit="kg")
    await inv.deliver(po_placed("po-1", "OIL", "10", days=5))
    await inv.deliver(po_placed("po-2", "OIL", "10", days=5))
    await inv.deliver(po_cancelled("po-2"))
    cases = [
        ({"purchase_order_id": "po-x", "po_line": 1}, 422, "not known here"),
        ({"purchase_order_id": "po-1", "po_line": 2}, 422, "not known here"),
        ({"purchase_order_id": "po-1"}, 422, "both purchase_order_id and po_line"),
        ({"purchase_order_id": "po-2", "po_line": 1}, 409, "cancelled"),
    ]
    for extra, status, words in cases:
        r = await inv.api.post("/receipts", json={"sku": "OIL", "quantity": "1", "unit": "kg", **extra})
        assert r.status_code == status and words in r.json()["detail"], (extra, r.text)
    r = await inv.api.post("/receipts", json={"sku": "WAX", "quantity": "1", "unit": "kg", "purchase_order_id": "po-1",
                                              "po_line": 1})
    assert r.status_code == 422 and "is for OIL, not WAX" in r.json()["detail"]
    assert await inv.scalar("SELECT count(*) FROM lots") == 0
    assert not [e for e in await inv.emitted() if isinstance(e, ev.GoodsReceived)]
    # A receipt without a PO is announced too (analytics), with no PO reference.
    r = await inv.api.post("/receipts", json={"sku": "WAX", "quantity": "1", "unit": "kg"})
    assert r.status_code == 201
    (goods,) = [e for e in await inv.emitted() if isinstance(e, ev.GoodsReceived)]
    assert goods.purchase_order_id is None and goods.sku == "WAX"


async def test_po_events_twice_or_out_of_order_change_nothing(inv):
    await soap_waiting_for_oil(inv)
    placed = po_placed("po-1", "OIL", "5", days=4)
    assert len(await inv.deliver(placed)) == 1  # re-dated once
    assert await inv.deliver(placed) == []  # the same PO again (a new event id)
    gone = po_cancelled("po-1")
    assert len(await inv.deliver(gone)) == 1
    assert await inv.deliver(gone) == []
    # A cancellation that overtook its placement: the PO is never opened.
    assert await inv.deliver(po_cancelled("po-2")) == []
    assert await inv.deliver(po_placed("po-2", "OIL", "5", days=1)) == []
    assert await inv.get("/expected-supply") == []
