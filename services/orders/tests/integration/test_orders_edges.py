"""Redelivery, events in any order, events about orders not known yet, channel orders."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from contracts.envelope import Envelope
from eventkit import DomainRejection
from orders.facts import record
from orders_testkit import (
    allocated, channel_order, delivered, order_body, reserved, scheduled, short, shipped, started, today,
)

pytestmark = pytest.mark.integration


async def test_same_event_id_twice_is_applied_once(orders):
    oid = (await orders.place())["order_id"]
    env = await orders.deliver(reserved(oid))
    await orders.deliver(reserved(oid), event_id=env.event_id)
    assert orders.consumer.duplicates == 1
    view = await orders.get(oid)
    assert [e["event_type"] for e in view["timeline"]] == ["OrderPlaced", "MaterialsReserved"]


async def test_same_fact_under_a_new_event_id_adds_nothing(orders):
    oid = (await orders.place())["order_id"]
    await orders.deliver(allocated(oid, [(1, "10", "pcs"), (2, "5", "kg")]))
    fact = allocated(oid, [(1, "10", "pcs"), (2, "5", "kg")])
    await orders.deliver(fact)  # re-emitted by a producer that crashed before marking it sent
    await orders.deliver(shipped(oid))
    await orders.deliver(shipped(oid))  # the same shipment again, with a fresh shipped_at
    view = await orders.get(oid)
    assert [e["event_type"] for e in view["timeline"]] == ["OrderPlaced", "OrderAllocated", "PromiseChanged", "Shipped"]
    assert view["status"] == "shipped"


async def test_repeats_under_new_ids_add_nothing_on_an_order_with_a_plan_per_line(orders):
    # Both lines planned, one batch each: the duplicate check is answered alongside every
    # line and plan of the order, and a repeat still adds nothing, nor moves the date.
    oid = (await orders.place())["order_id"]
    await orders.deliver(reserved(oid, line_no=1))
    await orders.deliver(reserved(oid, line_no=2, plan_id="plan-2", qty="5", unit="kg", sku="CREAM-2"))
    end = today() + timedelta(days=30)
    schedule = scheduled([(oid, 2)], batch_id="plan-2", batch_no="B2", end=end)
    await orders.deliver(schedule)
    before = await orders.get(oid)
    await orders.deliver(schedule, event_id=uuid.uuid4())  # the same schedule, said again
    await orders.deliver(started([(oid, 2)], batch_id="plan-2", batch_no="B2"))
    await orders.deliver(started([(oid, 2)], batch_id="plan-2", batch_no="B2"))  # it started once
    view = await orders.get(oid)
    kinds = [e["event_type"] for e in view["timeline"]]
    assert (kinds.count("BatchScheduled"), kinds.count("BatchStarted")) == (1, 1), kinds
    assert view["expected_date"] == before["expected_date"] == str(end + timedelta(days=1))
    assert view["status"] == "in_production"
    assert [[p["plan_id"] for p in line["plans"]] for line in view["lines"]] == [["plan-1"], ["plan-2"]]


def wax_short(oid: str, missing: str = "2", material: str = "WAX", until: date | None = None):
    """Line 2 short of `material`, dated `until` (the same arguments give the same fact)."""
    fact = short(oid, line_no=2)
    gap = fact.shortages[0].model_copy(update={"material_sku": material, "missing": Decimal(missing)})
    return fact.model_copy(update={"shortages": [gap], "reason_code": "shortage", "expected_date": until})


async def test_a_shortage_that_comes_back_after_another_is_recorded_again(orders):
    # A (WAX), then B (OIL), then A again: inventory says A a second time because the line
    # really is short of WAX again; it is not a redelivery of the first A.
    oid = (await orders.place())["order_id"]
    await orders.deliver(wax_short(oid))
    await orders.deliver(wax_short(oid, material="OIL"))
    await orders.deliver(wax_short(oid))
    view = await orders.get(oid)
    assert [e["event_type"] for e in view["timeline"]].count("MaterialsShort") == 3
    assert [s["material_sku"] for s in view["shortages"] if s["line_no"] == 2] == ["WAX"]
    # ... while A re-emitted under a new id right after itself is still nothing new.
    await orders.deliver(wax_short(oid))
    assert [e["event_type"] for e in (await orders.get(oid))["timeline"]].count("MaterialsShort") == 3


async def test_an_old_shortage_redelivered_under_a_new_id_after_a_newer_one_adds_nothing(orders):
    # A, then B; then A's message again under a new id (a replayed history) but with A's own
    # time: it is compared with what was in force then (A itself), so the line stays short of B.
    oid = (await orders.place())["order_id"]
    first = await orders.deliver(wax_short(oid))
    await orders.deliver(wax_short(oid, material="OIL"))
    await orders.deliver(wax_short(oid), occurred_at=first.occurred_at)
    view = await orders.get(oid)
    assert [e["event_type"] for e in view["timeline"]].count("MaterialsShort") == 2
    assert [s["material_sku"] for s in view["shortages"] if s["line_no"] == 2] == ["OIL"]


async def test_a_line_short_again_after_its_reservation_waits_again(orders):
    # Short of WAX (dated in 10 days), then reserved (ready in 3), then short of WAX again
    # with the same body (a hold took the material away): the line waits for WAX again,
    # so the expected date goes back to the shortage's.
    oid = (await orders.place(lines=ONE_LINE + [{"sku": "CREAM-2", "quantity": "5", "unit": "kg"}]))["order_id"]
    await orders.deliver(reserved(oid, line_no=1, lead=2))
    until = today() + timedelta(days=10)
    await orders.deliver(wax_short(oid, until=until))
    assert (await orders.get(oid))["expected_date"] == str(until + timedelta(days=1))
    await orders.deliver(reserved(oid, line_no=2, plan_id="plan-2", qty="5", unit="kg", sku="CREAM-2", lead=3))
    assert (await orders.get(oid))["expected_date"] == str(today() + timedelta(days=4))
    await orders.deliver(wax_short(oid, until=until))
    view = await orders.get(oid)
    assert view["expected_date"] == str(until + timedelta(days=1))
    assert [e["event_type"] for e in view["timeline"]].count("MaterialsShort") == 2


async def test_a_batch_rescheduled_back_to_its_first_date_moves_back(orders):
    oid = (await orders.place(lines=ONE_LINE))["order_id"]
    first, second = date(2026, 12, 10), date(2026, 12, 14)
    for end in (first, second, first):
        await orders.deliver(scheduled([(oid, 1)], end=end))
    view = await orders.get(oid)
    assert view["expected_date"] == str(first + timedelta(days=1))
    assert [e["event_type"] for e in view["timeline"]].count("BatchScheduled") == 3


async def test_late_and_replayed_events_never_move_the_status_back(orders):
    oid = (await orders.place())["order_id"]
    early_short = short(oid, line_no=1, sku="SOAP-1")
    await orders.deliver(reserved(oid, line_no=1))
    await orders.deliver(reserved(oid, line_no=2, plan_id="plan-2", qty="5", unit="kg", sku="CREAM-2"))
    await orders.deliver(started([(oid, 1), (oid, 2)]))
    await orders.deliver(early_short)  # a shortage older than the reservation that fixed it
    await orders.deliver(reserved(oid, line_no=1))  # replay, new id
    view = await orders.get(oid)
    assert view["status"] == "in_production"
    assert view["timeline"][-1]["status"] == "in_production"
    assert view["shortages"] == []


async def test_shipped_before_order_allocated_ends_shipped(orders):
    oid = (await orders.place())["order_id"]
    await orders.deliver(shipped(oid))
    await orders.deliver(allocated(oid, [(1, "10", "pcs")], outstanding=[(2, "5", "kg")]))
    await orders.deliver(allocated(oid, [(1, "10", "pcs"), (2, "5", "kg")]))
    view = await orders.get(oid)
    assert view["status"] == "shipped"
    assert [e["status"] for e in view["timeline"]] == ["received", "shipped", "shipped", "shipped"]


async def test_delivered_before_shipped_ends_delivered(orders):
    oid = (await orders.place())["order_id"]
    await orders.deliver(delivered(oid))
    await orders.deliver(shipped(oid))
    assert (await orders.get(oid))["status"] == "delivered"


async def _held_while(orders, event, then):
    """Record `event` in a transaction kept open until `then()` waits for the order's lock;
    `then()`'s result once that transaction committed."""
    env = Envelope(event_id=uuid.uuid4(), event_type=event.event_type, producer="test", correlation_id=event.key(),
                   data=event.model_dump(mode="json"))
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    async with orders.rt.uow.handling(env) as ctx:
        assert await record(ctx, env, event, event.order_id, 1)
        second = asyncio.create_task(then())
        deadline = time.monotonic() + 10
        while not await orders.scalar(waiting):
            assert time.monotonic() < deadline, "the second event never waited for the order's lock"
            await asyncio.sleep(0.02)
        assert not second.done()
    return await second


async def test_a_repeat_waiting_for_the_order_lock_sees_the_fact_its_holder_recorded(orders):
    # The one statement that takes the lock reads with a snapshot older than what the holder
    # committed: the duplicate check must not be answered from it.
    oid = (await orders.place())["order_id"]
    await orders.deliver(allocated(oid, [(1, "10", "pcs"), (2, "5", "kg")]))
    await _held_while(orders, shipped(oid), lambda: orders.deliver(shipped(oid)))  # a new event id
    view = await orders.get(oid)
    assert [e["event_type"] for e in view["timeline"]].count("Shipped") == 1
    assert view["status"] == "shipped"


async def test_an_event_waiting_for_the_order_lock_builds_on_the_plans_its_holder_wrote(orders):
    oid = (await orders.place())["order_id"]
    await _held_while(orders, reserved(oid, line_no=1, lead=3), lambda: orders.deliver(scheduled([(oid, 1)])))
    plan = await orders.scalar(
        "SELECT json_build_object('reserved', reserved_at IS NOT NULL, 'estimate', ready_estimate IS NOT NULL, "
        "'end', planned_end) FROM line_plans WHERE order_id = :oid", oid=oid)
    assert plan == {"reserved": True, "estimate": True, "end": "2026-11-27"}
    view = await orders.get(oid)
    assert [e["event_type"] for e in view["timeline"]] == ["OrderPlaced", "MaterialsReserved", "BatchScheduled"]


async def test_order_keyed_event_for_a_line_the_order_lacks_is_rejected(orders):
    oid = (await orders.place())["order_id"]
    with pytest.raises(DomainRejection, match="no line 7"):
        await orders.deliver(reserved(oid, line_no=7))
    view = await orders.get(oid)
    assert view["status"] == "received" and len(view["timeline"]) == 1


ONE_LINE = [{"sku": "SOAP-1", "quantity": "10", "unit": "pcs"}]


async def test_event_about_an_unknown_order_is_parked_and_applied_when_it_is_placed(orders):
    known = (await orders.place(lines=ONE_LINE))["order_id"]
    await orders.deliver(scheduled([(known, 1), ("web-77", 1)], end=date(2026, 11, 27)))
    await orders.deliver(started([("web-77", 1)]))
    assert (await orders.api.get("/orders/web-77")).status_code == 404
    assert await orders.scalar("SELECT count(*) FROM parked_events WHERE order_id = 'web-77'") == 2
    assert (await orders.get(known))["promised_date"] == "2026-11-28"

    view = (await orders.api.post("/orders", json=order_body(order_id="web-77", lines=ONE_LINE))).json()
    assert view["status"] == "in_production" and view["promised_date"] == "2026-11-28"
    assert [e["event_type"] for e in view["timeline"] if e["event_type"] != "PromiseChanged"] == [
        "BatchScheduled", "BatchStarted", "OrderPlaced"]
    assert await orders.scalar("SELECT count(*) FROM parked_events") == 0


async def test_channel_order_is_placed_once(orders):
    oid = str(uuid.uuid4())
    first = await orders.deliver(channel_order(oid))
    await orders.deliver(channel_order(oid))  # the webhook delivered twice: new event, same order id
    view = await orders.get(oid)
    assert (view["channel"], view["channel_order_ref"], view["status"]) == ("shopify", "#1001", "received")
    assert [(e["event_type"], e["producer"]) for e in view["timeline"]] == [
        ("ChannelOrderReceived", "channels"), ("OrderPlaced", "orders")]
    assert view["timeline"][0]["event_id"] == str(first.event_id)
    placed = await orders.outbox(".order-placed.v1")
    assert len(placed) == 1
    env = placed[0][2]
    assert env.data["channel"] == "shopify" and env.data["channel_order_ref"] == "#1001"
    assert env.causation_id == str(first.event_id) and env.correlation_id == oid
    assert (await orders.api.get("/orders", params={"channel": "shopify"})).json()["total"] == 1


async def test_concurrent_posts_with_one_order_id_make_one_order(orders):
    body = order_body(order_id="dup-1")
    responses = await asyncio.gather(*(orders.api.post("/orders", json=body) for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["order_no"] for r in responses}) == 1
    assert len(await orders.outbox()) == 1


async def test_reservation_estimate_until_scheduled(orders):
    oid = (await orders.place(lines=[{"sku": "SOAP-1", "quantity": "10", "unit": "pcs"}]))["order_id"]
    env = await orders.deliver(reserved(oid, lead=5))
    assert (await orders.get(oid))["promised_date"] == str(env.occurred_at.date() + timedelta(days=6))
    await orders.deliver(scheduled([(oid, 1)], end=date(2026, 11, 27)))
    view = await orders.get(oid)
    assert view["promised_date"] == str(env.occurred_at.date() + timedelta(days=6))  # kept
    assert view["expected_date"] == "2026-11-28"
