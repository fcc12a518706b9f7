"""Holds and recalls (inventory): the orders they touch say why on their timeline, once per
fact; the status does not move."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from contracts import events as ev
from contracts.events.inventory import RecallCustomer, RecalledGoods, RecalledLot
from orders_testkit import allocated

pytestmark = pytest.mark.integration
NOW = datetime.now(timezone.utc)


async def test_a_hold_and_a_recall_are_on_the_timeline_of_the_orders_they_touch(orders):
    blocked = (await orders.place())["order_id"]
    received = (await orders.place())["order_id"]
    await orders.deliver(allocated(blocked, [(1, "10", "pcs")]))
    status = (await orders.get(blocked))["status"]
    held = ev.LotHeld(lot_id="lot-B-1", lot_no="B-1", sku="CREAM-1", reason="recall: contamination", recall_id="R-1",
                      hold_seq=1, held_at=NOW, orders=[blocked])
    await orders.deliver(held)
    await orders.deliver(held)  # redelivered under a new id: nothing more
    opened = ev.RecallOpened(
        recall_id="R-1", lot_id="lot-OIL", lot_no="OIL-1", sku="OIL", reason="contamination", opened_at=NOW,
        lots=[RecalledLot(lot_id="lot-OIL", lot_no="OIL-1", sku="OIL")],
        customers=[RecallCustomer(order_id=received, order_no="SO-x", goods=[
            RecalledGoods(sku="CREAM-1", lot_id="lot-B-1", lot_no="B-1", quantity=Decimal(3), unit="pcs", shipment_id="s")])],
    )
    await orders.deliver(opened)
    await orders.deliver(ev.LotReleased(lot_id="lot-B-1", lot_no="B-1", sku="CREAM-1", reason="cleared", hold_seq=2,
                                        released_at=NOW, orders=[blocked]))

    view = await orders.get(blocked)
    entries = [(t["event_type"], t["detail"]) for t in view["timeline"] if t["event_type"] in ("LotHeld", "LotReleased")]
    assert entries == [
        ("LotHeld", "lot B-1 (CREAM-1) put on hold (recall R-1): recall: contamination; its goods for this order wait"),
        ("LotReleased", "hold on lot B-1 (CREAM-1) ended: cleared"),
    ]
    assert view["status"] == status
    (recall,) = [t["detail"] for t in (await orders.get(received))["timeline"] if t["event_type"] == "RecallOpened"]
    assert "contamination" in recall and "3 pcs CREAM-1 (lot B-1)" in recall
    assert not [t for t in view["timeline"] if t["event_type"] == "RecallOpened"]
