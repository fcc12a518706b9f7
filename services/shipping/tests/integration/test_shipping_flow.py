"""Shipping end to end on its own database: events in, API commands, outbox and e-mail out."""

from __future__ import annotations

import asyncio

import pytest

from devstack.waiting import poll
from shipping_testkit import allocated, allocation, deliver, new_order_id, outbox, placed, sender

pytestmark = pytest.mark.integration


async def shipment_of(client, order_id: str) -> dict:
    r = await client.get("/shipments", params={"order_id": order_id})
    assert r.status_code == 200
    (shipment,) = r.json()
    return shipment


async def test_fully_allocated_order_gets_a_prepared_shipment_with_its_lots(rt, client):
    order_id = new_order_id()
    await deliver(rt, placed(order_id))
    await deliver(rt, allocated(order_id, allocation("B240101-0001", "10"), allocation("B240102-0002", "2")))

    s = await shipment_of(client, order_id)
    assert s["status"] == "prepared"
    assert [(li["lot_no"], li["quantity"], li["unit"]) for li in s["lines"]] == [
        ("B240101-0001", "10.000000", "pcs"), ("B240102-0002", "2.000000", "pcs")]
    assert (await client.get(f"/shipments/{s['shipment_id']}")).json() == s
    assert [x["order_id"] for x in (await client.get("/shipments", params={"status": "prepared"})).json()] == [order_id]


async def test_partial_allocation_prepares_nothing(rt, client):
    order_id = new_order_id()
    await deliver(rt, allocated(order_id, allocation("B1", "5"), fully=False))
    assert (await client.get("/shipments", params={"order_id": order_id})).json() == []


async def test_ship_publishes_shipped_and_the_customer_receives_the_tracking_mail(rt, client, smtp):
    order_id = new_order_id()
    await deliver(rt, placed(order_id, order_no="SO-2001", email="ada@example.com"))
    await deliver(rt, allocated(order_id, allocation("B240101-0001", "12")))
    s = await shipment_of(client, order_id)

    async with sender(rt):
        r = await client.post(f"/shipments/{s['shipment_id']}/ship", json={"carrier": "dhl", "tracking_no": "JD0146000031"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "shipped" and r.json()["carrier"] == "DHL"

        (row,) = await outbox(rt, "Shipped")
        assert row["topic"] == "shipping.shipped.v1" and row["key"] == order_id
        env = row["envelope"]
        assert env.correlation_id == order_id and env.producer == "shipping"
        assert env.data["tracking_no"] == "JD0146000031" and env.data["complete"] is True
        assert [(li["lot_no"], li["quantity"], li["allocation_id"]) for li in env.data["lines"]] == [
            ("B240101-0001", "12.000000", "alloc-B240101-0001-1")]

        await poll(lambda: smtp.mailbox.messages, 10)
        (mail,) = smtp.mailbox.messages
        assert smtp.mailbox.rcpts == [["ada@example.com"]]
        assert mail["Subject"] == "Your order SO-2001 has shipped (DHL JD0146000031)"
        body = mail.get_payload(decode=True).decode()
        assert "Tracking number: JD0146000031" in body and "12 pcs CREAM-50 (lot B240101-0001)" in body

        async def sent():
            notes = (await client.get("/notifications", params={"order_id": order_id})).json()
            notes = [n for n in notes if n["kind"] == "shipped"]
            return notes if notes and notes[0]["status"] == "sent" else None

        (note,) = await poll(sent, 10)
        assert note["to"] == "ada@example.com" and note["sent_at"] and note["attempts"] == 1


async def test_shipping_twice_is_refused_and_publishes_one_shipped(rt, client):
    order_id = new_order_id()
    await deliver(rt, placed(order_id))
    await deliver(rt, allocated(order_id, allocation("B1", "12")))
    sid = (await shipment_of(client, order_id))["shipment_id"]

    # Two operators clicking at once: the row lock lets exactly one through.
    r1, r2 = await asyncio.gather(
        client.post(f"/shipments/{sid}/ship", json={"carrier": "UPS", "tracking_no": "1Z999AA10123456784"}),
        client.post(f"/shipments/{sid}/ship", json={"carrier": "DPD", "tracking_no": "01234567890123"}),
    )
    assert sorted([r1.status_code, r2.status_code]) == [200, 409]
    refused = r1 if r1.status_code == 409 else r2
    assert "already shipped" in refused.json()["detail"]
    again = await client.post(f"/shipments/{sid}/ship", json={"carrier": "UPS", "tracking_no": "1Z999AA10123456784"})
    assert again.status_code == 409
    assert len(await outbox(rt, "Shipped")) == 1
    assert [n["kind"] for n in (await client.get("/notifications", params={"order_id": order_id})).json()].count(
        "shipped") == 1


async def test_duplicate_allocation_changes_nothing_and_a_newer_one_replaces_the_lines(rt, client):
    order_id = new_order_id()
    await deliver(rt, placed(order_id))
    await deliver(rt, allocated(order_id, allocation("B1", "12")))
    before = await shipment_of(client, order_id)
    await deliver(rt, allocated(order_id, allocation("B1", "12")))  # same fact, another event id
    assert await shipment_of(client, order_id) == before

    await deliver(rt, allocated(order_id, allocation("B1", "7"), allocation("B2", "5")))
    after = await shipment_of(client, order_id)
    assert after["shipment_id"] == before["shipment_id"]
    assert [(li["lot_no"], li["quantity"]) for li in after["lines"]] == [("B1", "7.000000"), ("B2", "5.000000")]


async def test_allocation_after_shipping_is_ignored(rt, client):
    order_id = new_order_id()
    await deliver(rt, placed(order_id))
    await deliver(rt, allocated(order_id, allocation("B1", "12")))
    sid = (await shipment_of(client, order_id))["shipment_id"]
    assert (await client.post(f"/shipments/{sid}/ship", json={"carrier": "GLS", "tracking_no": "GLS-778899"})).status_code == 200

    await deliver(rt, allocated(order_id, allocation("B9", "12")))
    s = await shipment_of(client, order_id)
    assert s["status"] == "shipped" and [li["lot_no"] for li in s["lines"]] == ["B1"]


async def test_a_gift_goes_to_the_shops_ship_to_while_the_buyer_gets_the_mail(rt, client):
    from contracts.events.base import PostalAddress, ShopDetails

    order_id = new_order_id()
    gift = placed(order_id, order_no="SO-3001", email="buyer@example.com").model_copy(update={"details": ShopDetails(
        gift=True, ship_to=PostalAddress(name="Jeanne Recipient", company="Atelier J", address1="1 rue de la Paix",
                                         city="Paris", zip="75002", country="FR", phone="+33 1 23 45 67 89"))})
    await deliver(rt, gift)
    await deliver(rt, allocated(order_id, allocation("B240101-0001", "12")))
    s = await shipment_of(client, order_id)
    assert s["order_no"] == "SO-3001"
    assert s["ship_to"]["address"] == "Jeanne Recipient, Atelier J, 1 rue de la Paix, 75002 Paris"
    assert (s["ship_to"]["country"], s["ship_to"]["phone"]) == ("FR", "+33 1 23 45 67 89")
    assert s["ship_to"]["email"] == "buyer@example.com"
    # The parcel is for Jeanne, the mails for the buyer: the screens name the addressee.
    assert (s["ship_to"]["addressee"], s["ship_to"]["name"]) == ("Jeanne Recipient", placed(order_id).customer.name)
    (listed,) = [x for x in (await client.get("/shipments", params={"status": "prepared"})).json() if x["order_id"] == order_id]
    assert listed["ship_to"]["addressee"] == "Jeanne Recipient"
