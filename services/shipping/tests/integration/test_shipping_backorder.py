"""Backorders: what is allocated ships now (Shipped complete=false), the rest follows in a
second shipment once a later batch is allocated (complete=true); replays never ship an
allocation twice."""

from __future__ import annotations

import asyncio

import pytest

from devstack.waiting import poll
from shipping_testkit import (
    allocated, allocation, deliver, lots, new_order_id, outbox, placed, sender, shipments,
)

pytestmark = pytest.mark.integration

DHL = {"carrier": "DHL", "tracking_no": "JD0001"}
UPS = {"carrier": "UPS", "tracking_no": "1Z0002"}


async def ship(client, shipment: dict, body: dict) -> dict:
    r = await client.post(f"/shipments/{shipment['shipment_id']}/ship", json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def shipped_events(rt) -> list[dict]:
    return [row["envelope"].data for row in await outbox(rt, "Shipped")]


async def test_backorder_ships_in_two_parts_and_the_customer_gets_two_mails(rt, client, smtp):
    order_id = new_order_id()
    await deliver(rt, placed(order_id, order_no="SO-7001", email="ada@example.com"))
    await deliver(rt, allocated(order_id, allocation("B1", "6"), outstanding="4", backordered=True))
    (first,) = await shipments(client, order_id)
    assert first["status"] == "prepared" and lots(first) == [("B1", "6.000000")]

    async with sender(rt):
        assert (await ship(client, first, DHL))["complete"] is False
        # The later batch: inventory has not seen our Shipped yet and still lists B1.
        await deliver(rt, allocated(order_id, allocation("B1", "6"), allocation("B2", "4")))
        shipped_first, second = await shipments(client, order_id)
        assert shipped_first["status"] == "shipped" and lots(shipped_first) == [("B1", "6.000000")]
        assert second["status"] == "prepared" and lots(second) == [("B2", "4.000000")]
        assert second["shipment_id"] != first["shipment_id"]
        assert (await ship(client, second, UPS))["complete"] is True
        await poll(lambda: len(smtp.mailbox.messages) == 2, 10)

    part, rest = await shipped_events(rt)
    assert (part["shipment_id"], part["complete"], [li["lot_no"] for li in part["lines"]]) == (
        first["shipment_id"], False, ["B1"])
    assert (rest["shipment_id"], rest["complete"], [li["lot_no"] for li in rest["lines"]]) == (
        second["shipment_id"], True, ["B2"])
    subjects = sorted(m["Subject"] for m in smtp.mailbox.messages)
    assert subjects == ["Part of your order SO-7001 has shipped (DHL JD0001)",
                        "The rest of your order SO-7001 has shipped (UPS 1Z0002)"]
    assert smtp.mailbox.rcpts == [["ada@example.com"], ["ada@example.com"]]


async def test_replayed_allocations_never_duplicate_a_shipment(rt, client):
    order_id = new_order_id()
    part = allocated(order_id, allocation("B1", "6"), outstanding="4", backordered=True)
    rest = allocated(order_id, allocation("B2", "4"))
    await deliver(rt, part)
    await deliver(rt, part)  # same state, another event id
    (first,) = await shipments(client, order_id)
    await ship(client, first, DHL)
    await deliver(rt, part)  # replayed after it left: B1 is not shipped twice
    assert len(await shipments(client, order_id)) == 1

    await deliver(rt, rest)
    await deliver(rt, rest)
    _, second = await shipments(client, order_id)
    await ship(client, second, UPS)
    await deliver(rt, rest)
    await deliver(rt, part)
    assert [(s["status"], lots(s)) for s in await shipments(client, order_id)] == [
        ("shipped", [("B1", "6.000000")]), ("shipped", [("B2", "4.000000")])]
    assert [e["complete"] for e in await shipped_events(rt)] == [False, True]


async def test_partial_allocation_without_backorder_waits_and_the_order_ships_complete(rt, client):
    order_id = new_order_id()
    await deliver(rt, allocated(order_id, allocation("B1", "6"), outstanding="4"))  # a normal batch is coming
    assert await shipments(client, order_id) == []

    await deliver(rt, allocated(order_id, allocation("B1", "6"), allocation("B2", "4")))
    (s,) = await shipments(client, order_id)
    assert lots(s) == [("B1", "6.000000"), ("B2", "4.000000")]
    assert (await ship(client, s, DHL))["complete"] is True


async def test_rest_allocated_before_the_part_left_ships_in_one_complete_shipment(rt, client):
    order_id = new_order_id()
    part = allocated(order_id, allocation("B1", "6"), outstanding="4", backordered=True)
    await deliver(rt, part)
    await deliver(rt, allocated(order_id, allocation("B1", "6"), allocation("B2", "4")))
    await deliver(rt, part)  # an older state replayed: must not shrink the shipment again
    (s,) = await shipments(client, order_id)
    assert lots(s) == [("B1", "6.000000"), ("B2", "4.000000")]
    assert (await ship(client, s, DHL))["complete"] is True


async def test_ship_racing_the_rest_allocation_ships_every_allocation_exactly_once(rt, client):
    for _ in range(5):
        order_id = new_order_id()
        await deliver(rt, allocated(order_id, allocation("B1", "6"), outstanding="4", backordered=True))
        (first,) = await shipments(client, order_id)
        await asyncio.gather(
            client.post(f"/shipments/{first['shipment_id']}/ship", json=DHL),
            deliver(rt, allocated(order_id, allocation("B1", "6"), allocation("B2", "4"))),
        )
        found = await shipments(client, order_id)
        carried = sorted(lot for s in found for lot, _ in lots(s))
        assert carried == ["B1", "B2"]  # one shipment with both, or the part and then the rest
        shipped = found[0]
        assert shipped["status"] == "shipped"
        assert shipped["complete"] is (len(found) == 1)
