"""From shortages to a received purchase order, in one service: suggestions from the
demand picture (pack size and minimum respected, net of open POs), one click to a draft,
send (expected dates, PurchaseOrderPlaced), receipts (partly received, received), cancel."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from purchasing_testkit import cancelled, received, short

pytestmark = pytest.mark.integration

SUGAR_TERMS = dict(lead_time_days=5, pack_size="25", min_order_quantity="50", price="1.20", currency="EUR",
                   preferred=True)


async def test_shortage_to_suggestion_to_sent_po_to_received(purchasing):
    p = purchasing
    await p.material("SUGAR")
    supplier = await p.supplier("Sweet Supplies", SUGAR=SUGAR_TERMS)
    await p.supplier("Slow Sugar", email=None, SUGAR=dict(lead_time_days=20, pack_size="10"))
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    # Two waiting lines count on the same 10 kg: 30 + 20 required - 10 usable = 40 to buy.
    await p.deliver(short(a, ("SUGAR", "30", "10")))
    await p.deliver(short(b, ("SUGAR", "20", "10")))

    s = (await p.suggestions())["SUGAR"]
    assert (D(s["required"]), D(s["available"]), D(s["missing"])) == (50, 10, 40)
    # 40 missing, minimum 50, packs of 25: 50 (two packs), from the preferred supplier.
    assert D(s["quantity"]) == 50 and s["supplier_id"] == supplier and s["supplier_name"] == "Sweet Supplies"
    assert s["expected_date"] == (date.today() + timedelta(days=5)).isoformat()
    assert {(w["order_id"], D(w["required"])) for w in s["waiting"]} == {(a, 30), (b, 20)}

    made = await p.ok("POST", "/purchase-orders/from-suggestions", 201, json={})
    (po,) = made["purchase_orders"]
    assert po["status"] == "draft" and po["created_from"] == "suggestion" and po["supplier_id"] == supplier
    assert [(li["material_sku"], D(li["quantity"]), li["unit"]) for li in po["lines"]] == [("SUGAR", 50, "kg")]
    # The draft counts: a second click orders nothing more.
    assert await p.suggestions() == {}
    again = await p.ok("POST", "/purchase-orders/from-suggestions", 201, json={})
    assert again["purchase_orders"] == [] and again["skipped"] == []

    sent = await p.ok("POST", f"/purchase-orders/{po['purchase_order_id']}/send")
    assert sent["status"] == "sent" and sent["lines"][0]["expected_date"] == (date.today() + timedelta(days=5)).isoformat()
    (placed,) = await p.outbox("PurchaseOrderPlaced")
    assert placed.correlation_id == po["purchase_order_id"]
    assert placed.data["supplier_email"] == "orders@supplier.example" and D(placed.data["receipt_tolerance"]) == D("0.05")
    assert placed.data["lines"][0]["expected_date"] == sent["lines"][0]["expected_date"]
    await p.refused("POST", f"/purchase-orders/{po['purchase_order_id']}/send", 409)

    first = received(sent, 1, "20")
    await p.deliver(first)
    part = await p.ok("GET", f"/purchase-orders/{po['purchase_order_id']}")
    assert part["status"] == "partly_received" and D(part["lines"][0]["received"]) == 20
    assert D(part["lines"][0]["open_quantity"]) == 30
    # The same lot again (a redelivery under a new event id) counts once.
    await p.deliver(first)
    assert D((await p.ok("GET", f"/purchase-orders/{po['purchase_order_id']}"))["lines"][0]["received"]) == 20

    await p.deliver(received(sent, 1, "31"))  # within the 5 % inventory let through
    done = await p.ok("GET", f"/purchase-orders/{po['purchase_order_id']}")
    assert done["status"] == "received" and done["received_at"] and len(done["receipts"]) == 2
    assert {r["supplier_lot_no"] for r in done["receipts"]} == {"SUP-42"}
    await p.refused("POST", f"/purchase-orders/{po['purchase_order_id']}/cancel", 409)


async def test_a_cancelled_po_is_no_longer_expected_supply(purchasing):
    p = purchasing
    await p.material("OIL", base_unit="L")
    await p.supplier("Oil Co", OIL=dict(lead_time_days=3, pack_size="10", preferred=True))
    await p.deliver(short(str(uuid.uuid4()), ("OIL", "35", "0"), unit="L"))
    assert D((await p.suggestions())["OIL"]["quantity"]) == 40

    (po,) = (await p.ok("POST", "/purchase-orders/from-suggestions", 201, json={"materials": ["OIL"]}))["purchase_orders"]
    await p.ok("POST", f"/purchase-orders/{po['purchase_order_id']}/send")
    assert await p.suggestions() == {}
    gone = await p.ok("POST", f"/purchase-orders/{po['purchase_order_id']}/cancel", json={"reason": "supplier out of stock"})
    assert gone["status"] == "cancelled" and gone["cancel_reason"] == "supplier out of stock"
    (cancel,) = await p.outbox("PurchaseOrderCancelled")
    assert cancel.data["purchase_order_id"] == po["purchase_order_id"]
    assert D((await p.suggestions())["OIL"]["missing"]) == 35  # wanted again

    # A draft cancelled was never announced: no event for it.
    (draft,) = (await p.ok("POST", "/purchase-orders/from-suggestions", 201, json={}))["purchase_orders"]
    await p.ok("POST", f"/purchase-orders/{draft['purchase_order_id']}/cancel")
    assert len(await p.outbox("PurchaseOrderCancelled")) == 1


async def test_a_material_without_supplier_is_suggested_but_skipped(purchasing):
    p = purchasing
    await p.material("WAX")
    await p.deliver(short(str(uuid.uuid4()), ("WAX", "5", "1")))
    s = (await p.suggestions())["WAX"]
    assert s["supplier_id"] is None and D(s["quantity"]) == 0 and "no supplier" in s["reason"]
    made = await p.ok("POST", "/purchase-orders/from-suggestions", 201, json={"materials": ["WAX", "NOPE"]})
    assert made["purchase_orders"] == [] and [x["material_sku"] for x in made["skipped"]] == ["WAX", "NOPE"]


async def test_a_cancelled_order_waits_for_nothing(purchasing):
    p = purchasing
    await p.material("SUGAR")
    order = str(uuid.uuid4())
    await p.deliver(short(order, ("SUGAR", "30", "0")))
    await p.deliver(cancelled(order))
    assert await p.suggestions() == {}
    await p.deliver(short(order, ("SUGAR", "30", "0")))  # late news of a cancelled order
    assert await p.suggestions() == {}
