"""MaterialsReserved -> a planned batch covering the order lines, announced by BatchScheduled."""

import asyncio
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from eventkit import DomainRejection
from production import clock

from production_testkit import lot, reserved

pytestmark = pytest.mark.integration


async def test_a_reservation_plans_a_batch_and_announces_it(production):
    plan = str(uuid.uuid4())
    mr = reserved("order-1", plan, lots=[lot("lot-a", "BASE", "5.263158"), lot("lot-b", "JAR-50", "100", "pcs")])
    cause = await production.deliver(mr)

    batch = (await production.api.get(f"/batches/{plan}")).json()
    today = clock.today()
    assert batch["status"] == "planned"
    assert re.fullmatch(rf"B{today:%y%m%d}-\d{{4}}", batch["batch_no"])
    assert batch["planned_start"] == today.isoformat()
    assert batch["planned_end"] == (today + timedelta(days=3)).isoformat()
    assert Decimal(batch["planned_quantity"]) == 100
    assert [(c["order_id"], c["line_no"], Decimal(c["quantity"])) for c in batch["covers"]] == [("order-1", 1, 40)]
    assert {(m["lot_id"], m["sku"], Decimal(m["quantity"])) for m in batch["reserved_materials"]} == {
        ("lot-a", "BASE", Decimal("5.263158")),
        ("lot-b", "JAR-50", Decimal(100)),
    }

    [(topic, key, env)] = await production.outbox()
    assert topic == "production.batch-scheduled.v1" and key == plan
    assert env.event_type == "BatchScheduled"
    assert env.correlation_id == "order-1" and env.causation_id == str(cause.event_id)
    assert env.data["batch_no"] == batch["batch_no"]
    assert env.data["covers"] == [{"order_id": "order-1", "line_no": 1, "quantity": "40.000000"}]


async def test_a_second_order_on_the_same_plan_joins_its_covers(production):
    plan = str(uuid.uuid4())
    await production.deliver(reserved("order-1", plan, lots=[lot("lot-a", "BASE", "5")]))
    await production.deliver(reserved("order-2", plan, promised="25"))

    batches = (await production.api.get("/batches")).json()
    assert len(batches) == 1
    scheduled = await production.outbox("batch-scheduled.v1")
    assert len(scheduled) == 2
    last = scheduled[-1][2].data
    assert [(c["order_id"], c["quantity"]) for c in last["covers"]] == [("order-1", "40.000000"), ("order-2", "25.000000")]
    assert last["batch_no"] == scheduled[0][2].data["batch_no"]
    assert scheduled[-1][2].correlation_id == "order-2"
    assert [b["batch_id"] for b in (await production.api.get("/orders/order-2/batches")).json()] == [plan]


async def test_the_same_fact_delivered_again_changes_nothing(production):
    plan = str(uuid.uuid4())
    mr = reserved("order-1", plan, lots=[lot("lot-a", "BASE", "5")])
    await production.deliver(mr)
    before = (await production.api.get(f"/batches/{plan}")).json()

    await production.deliver(mr)  # redelivered under a new event id
    await production.deliver(mr)

    assert (await production.api.get(f"/batches/{plan}")).json() == before
    assert len(await production.outbox()) == 1
    cap = (await production.api.get("/capacity", params={"days": 1})).json()
    assert cap["days"][0]["planned"] == 1


async def test_full_days_push_new_batches_to_the_next_day_with_capacity(production):
    # the fixture runs the plant at 2 batches a day
    plans = [str(uuid.uuid4()) for _ in range(3)]
    for i, plan in enumerate(plans):
        await production.deliver(reserved(f"order-{i}", plan, lead_time_days=1))
    today = clock.today()
    starts = [(await production.api.get(f"/batches/{p}")).json()["planned_start"] for p in plans]
    assert starts == [today.isoformat(), today.isoformat(), (today + timedelta(days=1)).isoformat()]

    cap = (await production.api.get("/capacity", params={"days": 3})).json()
    assert cap["batches_per_day"] == 2
    assert [(d["planned"], d["free"]) for d in cap["days"]] == [(2, 0), (1, 1), (0, 2)]
    numbers = [(await production.api.get(f"/batches/{p}")).json()["batch_no"] for p in plans]
    assert len(set(numbers)) == 3 and numbers == sorted(numbers)


async def test_a_line_covered_after_the_start_is_recorded_and_keeps_the_dates(production):
    plan = str(uuid.uuid4())
    await production.deliver(reserved("order-1", plan))
    assert (await production.api.post(f"/batches/{plan}/start")).status_code == 200
    planned = (await production.api.get(f"/batches/{plan}")).json()

    await production.deliver(reserved("order-2", plan, promised="10"))

    batch = (await production.api.get(f"/batches/{plan}")).json()
    assert batch["status"] == "started"
    assert [c["order_id"] for c in batch["covers"]] == ["order-1", "order-2"]
    last = (await production.outbox("batch-scheduled.v1"))[-1][2].data
    assert len(last["covers"]) == 2
    assert (last["planned_start"], last["planned_end"]) == (planned["planned_start"], planned["planned_end"])


async def test_a_plan_claimed_for_another_product_is_rejected(production):
    plan = str(uuid.uuid4())
    await production.deliver(reserved("order-1", plan))
    with pytest.raises(DomainRejection):
        await production.deliver(reserved("order-2", plan, sku="SOAP-100"))
    batch = (await production.api.get(f"/batches/{plan}")).json()
    assert [c["order_id"] for c in batch["covers"]] == ["order-1"]


async def test_concurrent_plannings_never_overbook_a_day(production):
    plans = [str(uuid.uuid4()) for _ in range(5)]
    await asyncio.gather(*(production.deliver(reserved(f"order-{i}", p)) for i, p in enumerate(plans)))
    cap = (await production.api.get("/capacity", params={"days": 3})).json()
    assert [d["planned"] for d in cap["days"]] == [2, 2, 1]


async def test_two_orders_racing_onto_a_new_plan_make_one_batch(production):
    plan = str(uuid.uuid4())
    await asyncio.gather(production.deliver(reserved("order-1", plan)), production.deliver(reserved("order-2", plan)))
    [batch] = (await production.api.get("/batches")).json()
    assert sorted(c["order_id"] for c in batch["covers"]) == ["order-1", "order-2"]
    assert len(await production.outbox("batch-scheduled.v1")) == 2


async def test_first_free_day_answers_what_the_planner_would_choose(production):
    # 2 batches a day: today full after two plannings, so a batch ready today starts tomorrow.
    today = clock.today()
    free = (await production.api.get("/capacity/first-free")).json()
    assert free["first_free_day"] == today.isoformat() and free["batches_per_day"] == 2
    for i in range(2):
        await production.deliver(reserved(f"order-{i}", str(uuid.uuid4())))
    free = (await production.api.get("/capacity/first-free", params={"from": today.isoformat()})).json()
    assert free["first_free_day"] == (today + timedelta(days=1)).isoformat()
    later = today + timedelta(days=5)
    free = (await production.api.get("/capacity/first-free", params={"from": later.isoformat()})).json()
    assert free["first_free_day"] == later.isoformat()
    # A day in the past means "now": nothing is planned to start before today.
    past = (await production.api.get("/capacity/first-free", params={"from": "2001-01-01"})).json()
    assert past["first_free_day"] == (today + timedelta(days=1)).isoformat()
