"""OrderCancelled: production decides the fate of the batches covering the order (cancel,
shrink to the recipe's rule, or release from a started batch), converges when the
cancellation overtakes the reservation, and operators may cancel a planned batch."""

import asyncio
import uuid
from decimal import Decimal

import pytest

from production_testkit import lot, reserved

pytestmark = pytest.mark.integration

# batch rule: at least 100, in steps of 50 (version 1, as the reservations say)
RECIPE = {
    "sku": "CREAM-50",
    "name": "Face cream 50 mL",
    "output_unit": "pcs",
    "ingredients": [{"sku": "BASE", "quantity": "0.05", "unit": "kg"}],
    "batch_min": "100",
    "batch_multiple": "50",
    "expected_yield": "0.95",
    "lead_time_days": 3,
}


def _covers(data: dict) -> list[tuple[str, int, Decimal]]:
    return [(c["order_id"], c["line_no"], Decimal(c["quantity"])) for c in data["covers"]]


async def _batch(production, plan: str) -> dict:
    return (await production.api.get(f"/batches/{plan}")).json()


async def _shared_batch(production) -> str:
    """SO-1 (40) planned a batch of 100; SO-2 (80) grew it to 150."""
    assert (await production.api.post("/recipes", json=RECIPE)).status_code == 201
    plan = str(uuid.uuid4())
    await production.deliver(reserved("SO-1", plan, promised="40", batch="100", lots=[lot("lot-a", "BASE", "5.3")]))
    await production.deliver(reserved("SO-2", plan, promised="80", batch="150", lots=[lot("lot-b", "BASE", "2.7")]))
    assert Decimal((await _batch(production, plan))["planned_quantity"]) == 150
    return plan


async def test_cancelling_the_only_covered_order_cancels_the_batch(production):
    plan = str(uuid.uuid4())
    await production.deliver(reserved("SO-1", plan, lots=[lot("lot-a", "BASE", "5")]))
    await production.deliver(reserved("SO-1", plan, line_no=2, promised="10"))
    before = (await production.api.get("/capacity", params={"days": 1})).json()["days"][0]["planned"]

    cause = await production.cancel_order("SO-1", reason="customer changed mind")

    batch = await _batch(production, plan)
    assert batch["status"] == "cancelled"
    assert batch["cancel_reason"] == "order SO-1 cancelled: customer changed mind" and batch["cancelled_at"]
    [(topic, key, env)] = await production.outbox("batch-cancelled.v1")
    assert (topic, key) == ("production.batch-cancelled.v1", plan)
    assert env.causation_id == str(cause.event_id) and env.correlation_id == "SO-1"
    assert env.data["reason"].startswith("order SO-1 cancelled")
    assert _covers(env.data) == [("SO-1", 1, Decimal(40)), ("SO-1", 2, Decimal(10))]
    assert env.data["cancelled_orders"] == ["SO-1"]  # inventory does not plan SO-1's lines again
    # its capacity slot is free again; operators still see what it was for
    assert (await production.api.get("/capacity", params={"days": 1})).json()["days"][0]["planned"] == before - 1
    assert [(b["batch_id"], b["status"]) for b in (await production.api.get("/orders/SO-1/batches")).json()] == [
        (plan, "cancelled")
    ]
    assert (await production.api.post(f"/batches/{plan}/start")).status_code == 409


async def test_cancelling_one_of_two_orders_shrinks_the_batch_to_the_rule(production):
    plan = await _shared_batch(production)
    scheduled_before = len(await production.outbox("batch-scheduled.v1"))

    await production.cancel_order("SO-2")

    batch = await _batch(production, plan)
    assert batch["status"] == "planned" and Decimal(batch["planned_quantity"]) == 100  # rule for 40: the minimum
    assert _covers(batch) == [("SO-1", 1, Decimal(40))]
    scheduled = await production.outbox("batch-scheduled.v1")
    assert len(scheduled) == scheduled_before + 1
    last = scheduled[-1][2].data
    assert Decimal(last["planned_quantity"]) == 100 and _covers(last) == [("SO-1", 1, Decimal(40))]
    assert (last["planned_start"], last["planned_end"]) == (batch["planned_start"], batch["planned_end"])
    assert await production.outbox("batch-cancelled.v1") == []
    assert (await production.api.get("/orders/SO-2/batches")).json() == []


async def test_a_shrink_keeps_what_the_remaining_order_needs(production):
    plan = await _shared_batch(production)
    await production.cancel_order("SO-1")
    batch = await _batch(production, plan)
    assert Decimal(batch["planned_quantity"]) == 100  # 80 still covered -> the rule's 100, not 80, not 150
    assert _covers(batch) == [("SO-2", 1, Decimal(80))]


async def test_without_a_known_recipe_the_batch_keeps_its_size_but_announces_its_covers(production):
    plan = str(uuid.uuid4())
    await production.deliver(reserved("SO-1", plan, promised="40", batch="100"))
    await production.deliver(reserved("SO-2", plan, promised="80", batch="150"))
    await production.cancel_order("SO-2")
    last = (await production.outbox("batch-scheduled.v1"))[-1][2].data
    assert Decimal(last["planned_quantity"]) == 150 and _covers(last) == [("SO-1", 1, Decimal(40))]


async def test_a_started_batch_runs_on_and_its_output_for_the_order_goes_to_stock(production):
    plan = await _shared_batch(production)
    assert (await production.api.post(f"/batches/{plan}/start")).status_code == 200

    await production.cancel_order("SO-2")

    batch = await _batch(production, plan)
    assert batch["status"] == "started" and Decimal(batch["planned_quantity"]) == 150
    assert _covers(batch) == [("SO-1", 1, Decimal(40))]
    assert await production.outbox("batch-cancelled.v1") == []
    assert _covers((await production.outbox("batch-scheduled.v1"))[-1][2].data) == [("SO-1", 1, Decimal(40))]

    await production.cancel_order("SO-1")  # nobody left: still no cancellation, all output to stock
    assert (await _batch(production, plan))["covers"] == []
    assert (await production.outbox("batch-scheduled.v1"))[-1][2].data["covers"] == []
    done = await production.api.post(f"/batches/{plan}/complete", json={"output_quantity": "140"})
    assert done.status_code == 200
    completed = (await production.outbox("batch-completed.v1"))[0][2].data
    assert (completed["covers"], completed["output_quantity"], completed["planned_quantity"]) == ([], "140", "150.000000")


async def test_a_finished_batch_is_left_alone(production):
    plan = await _shared_batch(production)
    await production.api.post(f"/batches/{plan}/start")
    await production.api.post(f"/batches/{plan}/complete", json={"output_quantity": "150"})
    emitted = len(await production.outbox())
    await production.cancel_order("SO-2")
    assert len(await production.outbox()) == emitted
    assert len((await _batch(production, plan))["covers"]) == 2


async def test_a_second_cancellation_of_the_same_order_changes_nothing(production):
    alone, shared = str(uuid.uuid4()), await _shared_batch(production)
    await production.deliver(reserved("SO-2", alone, line_no=2, promised="10"))
    await production.cancel_order("SO-2")
    after = ([await _batch(production, p) for p in (alone, shared)], len(await production.outbox()))
    assert after[0][0]["status"] == "cancelled" and after[0][1]["status"] == "planned"

    await production.cancel_order("SO-2")  # same fact, new event id
    await production.cancel_order("SO-2", reason="again")

    assert ([await _batch(production, p) for p in (alone, shared)], len(await production.outbox())) == after


async def test_a_batch_cancelled_with_its_order_names_the_order_by_its_number(production):
    """Operators read order numbers, not ids: the batch a cancellation cancels says which order
    by the number OrderCancelled gives, also when the reservation comes after the cancellation."""
    first, late = str(uuid.uuid4()), str(uuid.uuid4())
    plan = str(uuid.uuid4())
    await production.deliver(reserved(first, plan, lots=[lot("lot-a", "BASE", "5")]))
    await production.cancel_order(first, reason="customer changed mind", order_no="SO-000123")
    assert (await _batch(production, plan))["cancel_reason"] == "order SO-000123 cancelled: customer changed mind"

    await production.cancel_order(late, order_no="SO-000124")
    overtaken = str(uuid.uuid4())
    await production.deliver(reserved(late, overtaken, lots=[lot("lot-b", "BASE", "5")]))
    batch = await _batch(production, overtaken)
    assert (batch["status"], batch["cancel_reason"]) == ("cancelled", "order SO-000124 cancelled")
    reasons = [env.data["reason"] for _, _, env in await production.outbox("batch-cancelled.v1")]
    assert reasons == ["order SO-000123 cancelled: customer changed mind", "order SO-000124 cancelled"]


async def test_a_cancellation_that_overtakes_the_reservation_converges(production):
    await production.cancel_order("SO-9")
    plan = str(uuid.uuid4())
    cause = await production.deliver(reserved("SO-9", plan, lots=[lot("lot-a", "BASE", "5")]))

    batch = await _batch(production, plan)
    assert batch["status"] == "cancelled" and batch["covers"] == [] and batch["reserved_materials"] == []
    [(_, key, env)] = await production.outbox("batch-cancelled.v1")
    assert key == plan and env.causation_id == str(cause.event_id) and env.data["covers"] == []
    assert env.data["cancelled_orders"] == ["SO-9"]
    assert await production.outbox("batch-scheduled.v1") == []
    assert (await production.api.get("/capacity", params={"days": 1})).json()["days"][0]["planned"] == 0

    await production.deliver(reserved("SO-9", plan, lots=[lot("lot-a", "BASE", "5")]))  # redelivered
    await production.deliver(reserved("SO-9", plan, line_no=2, promised="5"))  # its other line
    assert len(await production.outbox()) == 1
    assert (await _batch(production, plan))["covers"] == []


async def test_a_late_reservation_of_a_cancelled_order_does_not_grow_a_shared_batch(production):
    plan = str(uuid.uuid4())
    await production.deliver(reserved("SO-1", plan, promised="40", batch="100"))
    await production.cancel_order("SO-2")

    await production.deliver(reserved("SO-2", plan, promised="80", batch="150", lots=[lot("lot-b", "BASE", "2.7")]))

    batch = await _batch(production, plan)
    assert batch["status"] == "planned" and Decimal(batch["planned_quantity"]) == 100
    assert _covers(batch) == [("SO-1", 1, Decimal(40))]
    assert [m["lot_id"] for m in batch["reserved_materials"]] == []
    # inventory grew its plan to 150 for SO-2: told the batch stays at 100, it releases the growth
    last = (await production.outbox("batch-scheduled.v1"))[-1][2].data
    assert Decimal(last["planned_quantity"]) == 100 and _covers(last) == [("SO-1", 1, Decimal(40))]


async def test_a_reservation_and_a_cancellation_handled_at_once_converge(production):
    for _ in range(5):
        order, plan = f"SO-{uuid.uuid4().hex[:6]}", str(uuid.uuid4())
        await asyncio.gather(production.deliver(reserved(order, plan)), production.cancel_order(order))
        batch = await _batch(production, plan)
        assert batch["status"] == "cancelled"
        cancelled = [e for _, k, e in await production.outbox("batch-cancelled.v1") if k == plan]
        assert len(cancelled) == 1


async def test_operators_cancel_only_planned_batches(production):
    plan = str(uuid.uuid4())
    await production.deliver(reserved("SO-1", plan))
    await production.deliver(reserved("SO-2", plan, promised="25"))

    assert (await production.api.post("/batches/nope/cancel", json={"reason": "x"})).status_code == 404
    for bad in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x", "extra": 1}):
        assert (await production.api.post(f"/batches/{plan}/cancel", json=bad)).status_code == 422
    assert await production.outbox("batch-cancelled.v1") == []

    clicks = await asyncio.gather(
        *(production.api.post(f"/batches/{plan}/cancel", json={"reason": "mixer broken"}) for _ in range(2))
    )
    assert sorted(r.status_code for r in clicks) == [200, 409]
    body = next(r.json() for r in clicks if r.status_code == 200)
    assert (body["status"], body["cancel_reason"]) == ("cancelled", "mixer broken")
    [(_, key, env)] = await production.outbox("batch-cancelled.v1")
    assert key == plan and env.correlation_id == plan  # two orders: the batch's own chain
    assert env.data["reason"] == "mixer broken" and env.data["cancelled_orders"] == []  # the orders live on
    assert [(c["order_id"], c["quantity"]) for c in env.data["covers"]] == [("SO-1", "40.000000"), ("SO-2", "25.000000")]

    refused = await production.api.post(f"/batches/{plan}/cancel", json={"reason": "again"})
    assert refused.status_code == 409 and "cancelled" in refused.json()["detail"]
    await production.cancel_order("SO-1")  # the batch is already cancelled: nothing more
    assert len(await production.outbox("batch-cancelled.v1")) == 1

    started = str(uuid.uuid4())
    await production.deliver(reserved("SO-3", started))
    await production.api.post(f"/batches/{started}/start")
    refused = await production.api.post(f"/batches/{started}/cancel", json={"reason": "too late"})
    assert refused.status_code == 409 and "started" in refused.json()["detail"]
    assert (await _batch(production, started))["status"] == "started"
