"""Cancelling an order: allowed until goods leave, once only, serialised with a Shipped being
recorded; events arriving afterwards (saga or undo steps) leave a trace but never revive it."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from contracts.envelope import Envelope
from orders.facts import record
from orders_testkit import allocated, channel_order, delivered, reserved, shipped, short, started

pytestmark = pytest.mark.integration

STAGES = {
    "received": lambda oid: [],
    "awaiting_materials": lambda oid: [short(oid)],
    "materials_reserved": lambda oid: [reserved(oid)],
    "in_production": lambda oid: [reserved(oid), started([(oid, 1)])],
    "ready_to_ship": lambda oid: [allocated(oid, [(1, "10", "pcs"), (2, "5", "kg")])],
}


async def cancelled_events(orders, oid: str) -> list[Envelope]:
    return [env for _, key, env in await orders.outbox(".order-cancelled.v1") if key == oid]


@pytest.mark.parametrize("stage", list(STAGES))
async def test_cancel_before_shipment_cancels_and_emits_order_cancelled(orders, stage):
    oid = (await orders.place())["order_id"]
    for event in STAGES[stage](oid):
        await orders.deliver(event)
    assert (await orders.get(oid))["status"] == stage

    resp = await orders.cancel(oid, reason="customer changed their mind")
    assert resp.status_code == 200, resp.text
    view = resp.json()
    assert view["status"] == "cancelled" and view["expected_date"] is None  # the promise stays as the record of what was told
    assert view["cancel_reason"] == "customer changed their mind" and view["cancelled_at"]
    assert {ln["state"] for ln in view["lines"]} == {"cancelled"}
    last = view["timeline"][-1]
    assert (last["event_type"], last["status"], last["producer"]) == ("OrderCancelled", "cancelled", "orders")
    assert last["detail"] == "order cancelled: customer changed their mind"

    [(topic, key, env)] = [row for row in await orders.outbox(".order-cancelled.v1")]
    assert topic == "orders.order-cancelled.v1" and key == oid
    assert env.data["reason"] == "customer changed their mind" and env.correlation_id == oid
    assert env.data["order_no"] == view["order_no"]  # what downstream names the order by
    assert str(env.event_id) == last["event_id"]
    assert (await orders.api.get("/orders", params={"status": "cancelled"})).json()["total"] == 1


@pytest.mark.parametrize("goods", [
    [shipped("X", complete=False)], [shipped("X")], [shipped("X"), delivered("X")], [delivered("X")],
])
async def test_cancel_after_goods_left_is_refused_without_event(orders, goods):
    order = await orders.place()
    oid = order["order_id"]
    for event in goods:
        await orders.deliver(event.model_copy(update={"order_id": oid}))
    before = await orders.get(oid)

    resp = await orders.cancel(oid)
    assert resp.status_code == 409
    detail = resp.json()["detail"]
    assert detail.startswith(f"order {order['order_no']} was ") and detail.endswith("; cancel refused")
    if before["shipments"]:
        assert f"shipped on {before['shipments'][0]['shipped_at'][:10]}" in detail
    after = await orders.get(oid)
    assert after["status"] == before["status"] and after["timeline"] == before["timeline"]
    assert await cancelled_events(orders, oid) == []


async def test_double_cancel_answers_200_and_emits_once(orders):
    oid = (await orders.place())["order_id"]
    first = await orders.cancel(oid, reason="duplicate order")
    second = await orders.cancel(oid)  # no body at all
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["cancel_reason"] == "duplicate order"
    assert len(await cancelled_events(orders, oid)) == 1
    assert [e["event_type"] for e in second.json()["timeline"]] == ["OrderPlaced", "OrderCancelled"]


async def test_concurrent_cancels_emit_once(orders):
    oid = (await orders.place())["order_id"]
    responses = await asyncio.gather(*(orders.cancel(oid) for _ in range(4)))
    assert [r.status_code for r in responses] == [200] * 4
    assert len(await cancelled_events(orders, oid)) == 1


async def test_cancel_unknown_order_is_404_and_bad_body_422(orders):
    assert (await orders.cancel("no-such-order")).status_code == 404
    oid = (await orders.place())["order_id"]
    assert (await orders.api.post(f"/orders/{oid}/cancel", json={"reason": "x" * 501})).status_code == 422
    assert (await orders.api.post(f"/orders/{oid}/cancel", json={"why": "typo"})).status_code == 422
    assert (await orders.get(oid))["status"] == "received"


async def _until(check, what: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_cancel_waits_for_a_shipped_being_recorded_then_is_refused(orders):
    oid = (await orders.place())["order_id"]
    await orders.deliver(allocated(oid, [(1, "10", "pcs"), (2, "5", "kg")]))
    event = shipped(oid)
    env = Envelope(event_id=uuid.uuid4(), event_type=event.event_type, producer="shipping", correlation_id=oid,
                   data=event.model_dump(mode="json"))
    async with orders.rt.uow.handling(env) as ctx:  # the Shipped handler's transaction, still open
        await record(ctx, env, event, oid, 1)
        cancelling = asyncio.create_task(orders.cancel(oid))
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        await _until(lambda: orders.scalar(waiting), "the cancel to wait for the order's row lock")
        assert not cancelling.done()
    resp = await cancelling
    assert resp.status_code == 409 and "cancel refused" in resp.json()["detail"]
    assert (await orders.get(oid))["status"] == "shipped"
    assert await cancelled_events(orders, oid) == []


async def test_cancel_racing_a_shipped_event_ends_consistent(orders):
    for _ in range(4):
        oid = (await orders.place())["order_id"]
        await orders.deliver(allocated(oid, [(1, "10", "pcs"), (2, "5", "kg")]))
        resp, _ = await asyncio.gather(orders.cancel(oid), orders.deliver(shipped(oid)))
        view = await orders.get(oid)
        assert view["status"] == "shipped"  # the parcel left either way
        events = await cancelled_events(orders, oid)
        shipped_entry = next(e for e in view["timeline"] if e["event_type"] == "Shipped")
        if resp.status_code == 200:  # cancel first: the Shipped says it came too late
            assert len(events) == 1 and "shipped although cancellation was requested" in shipped_entry["detail"]
        else:
            assert resp.status_code == 409 and events == []
            assert "although" not in shipped_entry["detail"]


async def test_shipped_after_cancel_is_physical_reality(orders):
    oid = (await orders.place())["order_id"]
    await orders.deliver(allocated(oid, [(1, "10", "pcs"), (2, "5", "kg")]))
    assert (await orders.cancel(oid)).status_code == 200
    await orders.deliver(shipped(oid))
    view = await orders.get(oid)
    assert view["status"] == "shipped" and view["cancelled_at"] is not None
    last = view["timeline"][-1]
    assert last["status"] == "shipped"
    assert last["detail"] == "shipped via DHL 123; shipped although cancellation was requested"
    assert [ln["state"] for ln in view["lines"]] == ["allocated", "allocated"]

    again = await orders.cancel(oid)
    assert again.status_code == 409 and "came too late" in again.json()["detail"]
    await orders.deliver(delivered(oid))
    assert (await orders.get(oid))["status"] == "delivered"
    assert len(await cancelled_events(orders, oid)) == 1


async def test_channel_order_redelivered_after_cancel_changes_nothing(orders):
    oid = str(uuid.uuid4())
    await orders.deliver(channel_order(oid))
    assert (await orders.cancel(oid)).status_code == 200
    before = await orders.get(oid)
    await orders.deliver(channel_order(oid))
    after = await orders.get(oid)
    assert after["status"] == "cancelled" and after["timeline"] == before["timeline"]
    assert len(await orders.outbox(".order-placed.v1")) == 1
