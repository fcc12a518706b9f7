"""Order cancellation: a shipment that has not left is withdrawn and orders hears it once;
what left stays shipped."""

from __future__ import annotations

import pytest

from shipping_testkit import allocated, allocation, cancelled, deliver, new_order_id, outbox, placed, shipments

pytestmark = pytest.mark.integration

SHIP = {"carrier": "DHL", "tracking_no": "JD0146000031"}


async def test_cancel_withdraws_the_prepared_shipment_and_says_so_once(rt, client):
    order_id = new_order_id()
    await deliver(rt, placed(order_id))
    await deliver(rt, allocated(order_id, allocation("B1", "12")))
    (s,) = await shipments(client, order_id)

    await deliver(rt, cancelled(order_id))
    (row,) = await outbox(rt, "ShipmentWithdrawn")
    assert row["topic"] == "shipping.shipment-withdrawn.v1" and row["key"] == order_id
    data = row["envelope"].data
    assert data["shipment_id"] == s["shipment_id"] and data["order_id"] == order_id
    assert data["reason"] == "order cancelled: customer changed mind" and data["withdrawn_at"]
    (after,) = await shipments(client, order_id)
    assert after["status"] == "cancelled" and after["cancelled_at"]

    await deliver(rt, cancelled(order_id))  # the same cancellation again, another event id
    assert len(await outbox(rt, "ShipmentWithdrawn")) == 1
    r = await client.post(f"/shipments/{s['shipment_id']}/ship", json=SHIP)
    assert r.status_code == 409 and "cancelled" in r.json()["detail"]


async def test_cancel_after_shipping_withdraws_nothing(rt, client):
    order_id = new_order_id()
    await deliver(rt, allocated(order_id, allocation("B1", "12")))
    (s,) = await shipments(client, order_id)
    assert (await client.post(f"/shipments/{s['shipment_id']}/ship", json=SHIP)).status_code == 200

    await deliver(rt, cancelled(order_id))
    assert await outbox(rt, "ShipmentWithdrawn") == []
    assert [x["status"] for x in await shipments(client, order_id)] == ["shipped"]
    assert len(await outbox(rt, "Shipped")) == 1


async def test_cancel_before_any_shipment_withdraws_nothing(rt, client):
    order_id = new_order_id()
    await deliver(rt, cancelled(order_id))
    await deliver(rt, allocated(order_id, allocation("B1", "12")))  # late: prepares nothing
    assert await shipments(client, order_id) == []
    assert await outbox(rt) == []


async def test_cancel_after_a_partial_shipment_withdraws_only_the_part_still_here(rt, client):
    order_id = new_order_id()
    await deliver(rt, allocated(order_id, allocation("B1", "6"), outstanding="4", backordered=True))
    (first,) = await shipments(client, order_id)
    await client.post(f"/shipments/{first['shipment_id']}/ship", json=SHIP)
    await deliver(rt, allocated(order_id, allocation("B2", "4")))
    _, second = await shipments(client, order_id)

    await deliver(rt, cancelled(order_id))
    (row,) = await outbox(rt, "ShipmentWithdrawn")
    assert row["envelope"].data["shipment_id"] == second["shipment_id"]
    assert [x["status"] for x in await shipments(client, order_id)] == ["shipped", "cancelled"]
