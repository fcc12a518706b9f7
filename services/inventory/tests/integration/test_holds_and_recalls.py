"""Holds and recalls: a held lot is neither allocated nor consumed; a recall holds the lot
and everything made from it, names the customers who received goods, and is closed by
disposing of or releasing the stock. Lots are named by the number printed on the label."""

from __future__ import annotations

import pytest
from inventory_testkit import D, completed, in_days, order, recipe, shipped

from contracts import events as ev

pytestmark = pytest.mark.integration


async def two_level_history(inv):
    """Two ingredient lots -> batch B-1 (60 kg of CREAM) -> o1 (30, shipped), o2 and o3 (10 each, allocated)."""
    await inv.item("OIL")
    await inv.item("WAX")
    await inv.item("CREAM", kind="finished")
    await inv.deliver(recipe("CREAM", [("OIL", "0.5", "kg"), ("WAX", "0.5", "kg")]))
    oil = await inv.receive("OIL", "40", "kg", lot_no="OIL-1", supplier_lot_no="SUP-OIL-7", expiry_date=in_days(200))
    await inv.receive("WAX", "40", "kg", lot_no="WAX-1", expiry_date=in_days(200))
    (reserved,) = await inv.deliver(order("o1", ("CREAM", "30", "kg"), minutes_ago=30))
    await inv.deliver(order("o2", ("CREAM", "10", "kg"), minutes_ago=20))
    await inv.deliver(order("o3", ("CREAM", "10", "kg"), minutes_ago=10))
    allocated = await inv.deliver(completed(reserved, "B-1", "60"))  # 10 kg surplus
    by_order = {e.order_id: e for e in allocated if isinstance(e, ev.OrderAllocated)}
    assert set(by_order) == {"o1", "o2", "o3"}
    await inv.deliver(shipped(by_order["o1"], shipment_id="SH-o1"))
    return oil, by_order


async def test_a_quality_hold_by_lot_number_keeps_the_lot_out_of_allocation_until_released(inv):
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await inv.receive("SOAP", "10", "pcs", lot_no="S-EARLY", expiry_date=in_days(30))
    await inv.receive("SOAP", "10", "pcs", lot_no="S-LATE", expiry_date=in_days(90))

    resp = await inv.api.post("/lots/S-EARLY/hold", json={"reason": "smells odd"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["on_hold"] and resp.json()["hold_reason"] == "smells odd" and D(resp.json()["available"]) == 0
    (held,) = [e for e in await inv.emitted() if isinstance(e, ev.LotHeld)]
    assert (held.lot_no, held.reason, held.hold_seq, held.recall_id) == ("S-EARLY", "smells odd", 1, None)
    again = await inv.api.post("/lots/S-EARLY/hold", json={"reason": "twice"})
    assert again.status_code == 409 and "smells odd" in again.json()["detail"]

    (allocated,) = [e for e in await inv.deliver(order("o1", ("SOAP", "12", "pcs"))) if isinstance(e, ev.OrderAllocated)]
    # FEFO would take the early lot first; held, it gives nothing: 10 from the late lot, 2 wait.
    assert {a.lot_no for a in allocated.allocations} == {"S-LATE"} and not allocated.fully_allocated
    stock = await inv.stock("SOAP")
    assert (stock["on_hand"], stock["available"], D(stock["on_hold"])) == (D(20), D(0), D(10))
    assert [(h["lot_no"], h["reason"]) for h in stock["holds"]] == [("S-EARLY", "smells odd")]
    assert [lot["lot_no"] for lot in await inv.get("/lots", sku="SOAP", on_hold="true")] == ["S-EARLY"]

    resp = await inv.api.post("/lots/S-EARLY/release", json={"reason": "lab says fine"})
    assert resp.status_code == 200 and not resp.json()["on_hold"]
    released = [e for e in await inv.emitted() if isinstance(e, ev.LotReleased)]
    assert [(e.lot_no, e.hold_seq) for e in released] == [("S-EARLY", 2)]
    # The waiting rest is served from the released lot at once.
    (after,) = [e for e in await inv.emitted() if isinstance(e, ev.OrderAllocated)][-1:]
    assert after.fully_allocated and {a.lot_no for a in after.allocations} == {"S-EARLY", "S-LATE"}
    assert (await inv.api.post("/lots/S-EARLY/release", json={})).status_code == 409


async def test_lots_are_found_by_printed_number_and_bad_input_is_refused(inv):
    await inv.item("OIL")
    lot = await inv.receive("OIL", "5", "kg", lot_no="OIL-9", supplier_lot_no="SUP-9")
    for ref in (lot["lot_id"], "OIL-9", "SUP-9"):
        assert (await inv.get(f"/lots/{ref}"))["lot_id"] == lot["lot_id"]
        assert (await inv.get(f"/lots/{ref}/trace"))["lot"]["lot_id"] == lot["lot_id"]
    assert [m["lot_no"] for m in await inv.get("/ledger", lot_id="SUP-9")] == ["OIL-9"]
    assert [x["lot_id"] for x in await inv.get("/lots", lot_no="SUP-9")] == [lot["lot_id"]]
    assert (await inv.api.get("/lots/NOPE")).status_code == 404
    assert (await inv.api.post("/lots/NOPE/hold", json={"reason": "x"})).status_code == 404
    assert (await inv.api.post("/lots/OIL-9/hold", json={"reason": ""})).status_code == 422
    assert (await inv.api.post("/lots/OIL-9/hold", json={"reason": "x", "colour": "red"})).status_code == 422
    # A misspelt filter is refused, not ignored.
    for path, params in (("/lots", {"lotno": "OIL-9"}), ("/stock", {"skuu": "OIL"}), ("/items", {"kind": "raw", "x": "1"})):
        resp = await inv.api.get(path, params=params)
        assert resp.status_code == 422, (path, resp.text)
    # One number on two lots: ask for the id rather than guess.
    await inv.item("WAX")
    await inv.receive("WAX", "5", "kg", lot_no="OIL-9")
    resp = await inv.api.post("/lots/OIL-9/hold", json={"reason": "x"})
    assert resp.status_code == 409 and lot["lot_id"] in resp.json()["detail"]


async def test_a_recall_holds_the_lot_and_what_was_made_of_it_names_the_customers_and_disposes(inv):
    oil, by_order = await two_level_history(inv)
    before = await inv.outbox_count()

    resp = await inv.api.post("/recalls", json={"lot": "SUP-OIL-7", "reason": "supplier reports contamination"})
    assert resp.status_code == 201, resp.text
    recall = resp.json()
    events = (await inv.emitted())[before:]
    held = [e for e in events if isinstance(e, ev.LotHeld)]
    assert {e.lot_no for e in held} == {"OIL-1", "B-1"} and {e.recall_id for e in held} == {recall["recall_id"]}
    assert {e.lot_no: e.orders for e in held}["B-1"] == ["o2", "o3"]  # their goods wait, blocked
    (opened,) = [e for e in events if isinstance(e, ev.RecallOpened)]
    assert [c.order_id for c in opened.customers] == ["o1"]  # only who received goods
    (customer,) = opened.customers
    assert customer.shipment_ids == ["SH-o1"] and customer.lots == ["B-1"] and customer.goods[0].quantity == D(30)
    assert not [e for e in events if isinstance(e, (ev.StockReleased, ev.OrderAllocated))]
    assert {x["lot_no"]: x["on_hold"] for x in recall["lots"]} == {"OIL-1": True, "B-1": True}
    assert [(c["order_id"], c["state"]) for c in recall["customers"]] == [("o1", "notified")]
    assert (await inv.api.post("/recalls", json={"lot": "OIL-1", "reason": "again"})).status_code == 409
    assert (await inv.api.post("/lots/B-1/release", json={})).status_code == 409  # the recall holds it

    # A new order is not served from the held lot, nor made from the held oil.
    (waits,) = await inv.deliver(order("o4", ("CREAM", "5", "kg")))
    assert isinstance(waits, ev.MaterialsShort), waits and [s.material_sku for s in waits.shortages] == ["OIL"]

    close = await inv.api.post(f"/recalls/{recall['recall_id']}/close", json={"disposition": "dispose"})
    assert close.status_code == 409 and "SO-o1" in close.json()["detail"]
    ack = await inv.api.post(f"/recalls/{recall['recall_id']}/customers/o1", json={"state": "acknowledged"})
    assert ack.status_code == 200 and ack.json()["customers"][0]["state"] == "acknowledged"
    assert (await inv.api.post(f"/recalls/{recall['recall_id']}/customers/o2", json={"state": "returned"})).status_code == 404
    before = await inv.outbox_count()
    close = await inv.api.post(f"/recalls/{recall['recall_id']}/close", json={"disposition": "dispose"})
    assert close.status_code == 200, close.text
    closed = close.json()
    assert (closed["status"], closed["disposition"]) == ("closed", "dispose")
    assert {x["lot_no"]: (x["on_hold"], D(x["on_hand"])) for x in closed["lots"]} == {
        "OIL-1": (True, D(0)), "B-1": (True, D(0))}
    events = (await inv.emitted())[before:]
    released = {e.order_id: e for e in events if isinstance(e, ev.StockReleased)}
    assert set(released) == {"o2", "o3"} and "disposed" in released["o2"].reason
    assert {e.order_id for e in events if isinstance(e, ev.OrderAllocated)} == {"o2", "o3"}
    disposals = [m for m in await inv.get("/ledger", limit=100) if m["kind"] == "disposal"]
    assert sorted((m["lot_no"], D(m["quantity"])) for m in disposals) == [("B-1", D(-30)), ("OIL-1", D(-15))]
    assert await inv.ledger_matches_on_hand()
    assert (await inv.api.post(f"/recalls/{recall['recall_id']}/close", json={"disposition": "release"})).status_code == 409
    (listed,) = await inv.get("/recalls", status="closed")
    assert listed["customer_count"] == 1 and listed["customers_notified"] == 0


async def test_closing_a_recall_with_release_ends_the_holds_and_serves_waiting_orders(inv):
    await two_level_history(inv)
    recall = (await inv.api.post("/recalls", json={"lot": "OIL-1", "reason": "suspected"})).json()
    await inv.deliver(order("o4", ("CREAM", "5", "kg")))
    await inv.api.post(f"/recalls/{recall['recall_id']}/customers/o1", json={"state": "returned"})
    before = await inv.outbox_count()
    resp = await inv.api.post(f"/recalls/{recall['recall_id']}/close", json={"disposition": "release"})
    assert resp.status_code == 200, resp.text
    assert not any(x["on_hold"] for x in resp.json()["lots"])
    events = (await inv.emitted())[before:]
    assert {e.lot_no for e in events if isinstance(e, ev.LotReleased)} == {"OIL-1", "B-1"}
    served = [e for e in events if isinstance(e, ev.OrderAllocated) and e.order_id == "o4"]
    assert served, events
    assert served and served[0].fully_allocated and {a.lot_no for a in served[0].allocations} == {"B-1"}


async def test_a_hold_moves_a_planned_batch_reservation_to_another_lot_and_completion_skips_the_held_one(inv):
    await inv.item("OIL")
    await inv.item("WAX")
    await inv.item("CREAM", kind="finished")
    await inv.deliver(recipe("CREAM", [("OIL", "0.5", "kg"), ("WAX", "0.5", "kg")]))
    await inv.receive("OIL", "30", "kg", lot_no="OIL-A", expiry_date=in_days(30))
    await inv.receive("OIL", "30", "kg", lot_no="OIL-B", expiry_date=in_days(90))
    await inv.receive("WAX", "30", "kg", lot_no="WAX-1")
    (reserved,) = await inv.deliver(order("o1", ("CREAM", "50", "kg")))
    assert {r.lot_no for r in reserved.reservations if r.sku == "OIL"} == {"OIL-A"}

    assert (await inv.api.post("/lots/OIL-A/hold", json={"reason": "lab check"})).status_code == 200
    oil_a = await inv.get("/lots/OIL-A")
    oil_b = await inv.get("/lots/OIL-B")
    assert (D(oil_a["reserved"]), D(oil_b["reserved"])) == (D(0), D(25))

    # Production reports the lots it was told of (OIL-A): the use is taken from OIL-B.
    await inv.deliver(completed(reserved, "B-2", "50"))
    assert D((await inv.get("/lots/OIL-A"))["on_hand"]) == D(30)
    assert D((await inv.get("/lots/OIL-B"))["on_hand"]) == D(5)
    assert await inv.ledger_matches_on_hand()
