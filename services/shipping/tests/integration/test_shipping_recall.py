"""Holds and recalls (inventory's LotHeld / LotReleased / RecallOpened): a prepared shipment
carrying a held lot is blocked until the hold ends, whatever order the two events arrive in;
each customer who received recalled goods is e-mailed once, through the real SMTP listener."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from contracts.events import LotHeld, LotReleased, RecallOpened
from contracts.events.inventory import RecallCustomer, RecalledGoods, RecalledLot
from devstack.waiting import poll
from shipping.recalls import holds_of
from shipping_testkit import allocated, allocation, deliver, new_order_id, placed, sender, shipments

pytestmark = pytest.mark.integration
NOW = datetime.now(timezone.utc)


def held(lot_no: str, seq: int = 1, recall_id: str | None = None) -> LotHeld:
    return LotHeld(lot_id=f"lot-{lot_no}", lot_no=lot_no, sku="CREAM-50", reason="supplier contamination",
                   recall_id=recall_id, hold_seq=seq, held_at=NOW)


def released(lot_no: str, seq: int = 2) -> LotReleased:
    return LotReleased(lot_id=f"lot-{lot_no}", lot_no=lot_no, sku="CREAM-50", reason="cleared", hold_seq=seq, released_at=NOW)


async def test_a_prepared_shipment_with_a_held_lot_is_blocked_until_the_hold_ends(rt, client):
    order_id = new_order_id()
    await deliver(rt, placed(order_id))
    await deliver(rt, allocated(order_id, allocation("B-1", "12")))
    await deliver(rt, held("B-1"))
    await deliver(rt, held("B-1"))  # redelivered: nothing more
    (shipment,) = await shipments(client, order_id)
    assert shipment["status"] == "blocked" and "lot B-1 is on hold: supplier contamination" in shipment["blocked_reasons"]
    assert [s["shipment_id"] for s in (await client.get("/shipments", params={"status": "blocked"})).json()] == [
        shipment["shipment_id"]]
    refused = await client.post(f"/shipments/{shipment['shipment_id']}/ship", json={"carrier": "DHL", "tracking_no": "TRK-1"})
    assert refused.status_code == 409 and "blocked" in refused.json()["detail"]

    # A release overtaken by an older hold (two topics): the newest hold_seq wins.
    await deliver(rt, released("B-1", seq=2))
    await deliver(rt, held("B-1", seq=1))
    (shipment,) = await shipments(client, order_id)
    assert shipment["status"] == "prepared" and shipment["blocked_reasons"] == []
    ok = await client.post(f"/shipments/{shipment['shipment_id']}/ship", json={"carrier": "DHL", "tracking_no": "TRK-1"})
    assert ok.status_code == 200, ok.text


async def test_a_blocked_shipment_says_why_in_the_words_of_every_path(rt, client):
    # The list reads the reasons in its one statement; the label path words them in Python.
    order_id = new_order_id()
    await deliver(rt, placed(order_id))
    await deliver(rt, allocated(order_id, allocation("B-2", "6"), allocation("B-1", "6", line_no=2),
                                allocation("B-1", "1", line_no=3)))
    await deliver(rt, held("B-2", recall_id="R-7"))
    await deliver(rt, held("B-1"))
    (shipment,) = await shipments(client, order_id)
    async with rt.uow.sessions() as session:
        worded = (await holds_of(session, [uuid.UUID(shipment["shipment_id"])]))[uuid.UUID(shipment["shipment_id"])]
    assert shipment["blocked_reasons"] == worded == [
        "lot B-1 is on hold: supplier contamination", "lot B-2 is on hold (recall R-7): supplier contamination"]
    assert (await client.get(f"/shipments/{shipment['shipment_id']}")).json() == shipment


async def test_new_lines_from_another_lot_unblock_the_shipment(rt, client):
    order_id = new_order_id()
    await deliver(rt, held("B-2"))  # the hold may arrive before the allocation
    await deliver(rt, allocated(order_id, allocation("B-2", "12")))
    assert (await shipments(client, order_id))[0]["status"] == "blocked"
    await deliver(rt, allocated(order_id, allocation("B-3", "12")))
    assert (await shipments(client, order_id))[0]["status"] == "prepared"


async def test_each_customer_who_received_recalled_goods_is_mailed_once(rt, client, smtp):
    shipped_order, other = new_order_id(), new_order_id()
    await deliver(rt, placed(shipped_order, order_no="SO-7001", email="ada@example.com"))
    await deliver(rt, placed(other, order_no="SO-7002", email="bob@example.com"))
    await deliver(rt, allocated(shipped_order, allocation("B-9", "12")))
    (shipment,) = await shipments(client, shipped_order)
    resp = await client.post(f"/shipments/{shipment['shipment_id']}/ship", json={"carrier": "DHL", "tracking_no": "TRK-77"})
    assert resp.status_code == 200
    recall_id = str(uuid.uuid4())
    opened = RecallOpened(
        recall_id=recall_id, lot_id="lot-OIL-1", lot_no="OIL-1", sku="OIL", reason="supplier reports contamination",
        opened_at=NOW,
        lots=[RecalledLot(lot_id="lot-OIL-1", lot_no="OIL-1", sku="OIL"), RecalledLot(lot_id="lot-B-9", lot_no="B-9", sku="CREAM-50")],
        customers=[RecallCustomer(
            order_id=shipped_order, order_no="SO-7001", shipment_ids=[shipment["shipment_id"]], lots=["B-9"],
            goods=[RecalledGoods(sku="CREAM-50", lot_id="lot-B-9", lot_no="B-9", quantity=Decimal(12), unit="pcs",
                                 shipment_id=shipment["shipment_id"])],
        )],
    )
    async with sender(rt):
        await deliver(rt, opened)
        await deliver(rt, opened)  # redelivered under a new event id: no second mail
        recall_mails = lambda: [m for m in smtp.mailbox.messages if "Recall" in m["Subject"]]  # noqa: E731
        await poll(recall_mails, 10)
        notes = await poll(lambda: _sent(client, shipped_order), 10)
    (mail,) = recall_mails()
    assert mail["To"] == "ada@example.com" and "SO-7001" in mail["Subject"]
    assert len(notes) == 1
    body = notes[0]["body"]
    assert "supplier reports contamination" in body and "12 pcs CREAM-50 (lot B-9)" in body and "TRK-77" in body
    assert not [n for n in (await client.get("/notifications", params={"order_id": other})).json() if n["kind"] == "recall"]


async def _sent(client, order_id):
    notes = [n for n in (await client.get("/notifications", params={"order_id": order_id})).json() if n["kind"] == "recall"]
    return notes if notes and all(n["status"] == "sent" for n in notes) else None
