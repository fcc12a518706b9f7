"""Batches for stock (ReplenishmentPlanned): queued like any batch with purpose "stock",
announced once whatever the redeliveries, covered by orders promised on them later, and
never cancelled by such an order's cancellation."""

import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from contracts.events import ReplenishmentPlanned
from devstack.testing import deliver_to_handler
from production.stock_batches import on_replenishment_planned
from production_testkit import lot, reserved

pytestmark = pytest.mark.integration


def planned(plan_id: str, batch: str = "100", lots: list[dict] | None = None) -> ReplenishmentPlanned:
    return ReplenishmentPlanned(
        replenishment_id=f"rep-{plan_id[:8]}", plan_id=plan_id, sku="CREAM-50", batch_quantity=Decimal(batch),
        unit="pcs", recipe_version=1, lead_time_days=3, reservations=lots or [lot("lot-a", "BASE", "5.3")],
        planned_at=datetime.now(timezone.utc),
    )


async def deliver(production, event, event_id=None):
    return await deliver_to_handler(production.uow, on_replenishment_planned, event, event_id,
                                    batches_per_day=production.batches_per_day)


async def _batch(production, plan: str) -> dict:
    resp = await production.api.get(f"/batches/{plan}")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_a_batch_for_stock_joins_the_queue_once(production):
    plan = str(uuid.uuid4())
    event = planned(plan)
    event_id = uuid.uuid4()
    await deliver(production, event, event_id)
    await deliver(production, event, event_id)  # redelivered
    await deliver(production, event)  # the same fact under a new id

    batch = await _batch(production, plan)
    assert (batch["status"], batch["purpose"], batch["covers"]) == ("planned", "stock", [])
    assert Decimal(batch["planned_quantity"]) == 100
    assert [(m["lot_id"], Decimal(m["quantity"])) for m in batch["reserved_materials"]] == [("lot-a", Decimal("5.3"))]
    [(topic, key, env)] = await production.outbox("batch-scheduled.v1")
    assert key == plan and env.data["purpose"] == "stock" and env.data["covers"] == []
    # it takes a capacity slot like any batch
    assert (await production.api.get("/capacity", params={"days": 1})).json()["days"][0]["planned"] == 1
    listed = (await production.api.get("/batches", params={"status": "planned"})).json()
    assert [(b["batch_id"], b["purpose"]) for b in listed] == [(plan, "stock")]


async def test_an_order_promised_on_it_is_covered_and_its_cancellation_leaves_the_batch(production):
    plan = str(uuid.uuid4())
    await deliver(production, planned(plan))
    await production.deliver(reserved("SO-1", plan, promised="40", batch="100"))
    assert [(c["order_id"], Decimal(c["quantity"])) for c in (await _batch(production, plan))["covers"]] == [("SO-1", 40)]

    await production.cancel_order("SO-1")

    batch = await _batch(production, plan)
    assert (batch["status"], batch["covers"], Decimal(batch["planned_quantity"])) == ("planned", [], Decimal(100))
    assert await production.outbox("batch-cancelled.v1") == []
    last = (await production.outbox("batch-scheduled.v1"))[-1][2].data
    assert (last["purpose"], last["covers"]) == ("stock", [])


async def test_an_order_reservation_arriving_first_is_turned_into_a_batch_for_stock(production):
    plan = str(uuid.uuid4())
    await production.deliver(reserved("SO-1", plan, promised="40", batch="100"))
    assert (await _batch(production, plan))["purpose"] == "order"
    await deliver(production, planned(plan))
    batch = await _batch(production, plan)
    assert batch["purpose"] == "stock" and len(batch["covers"]) == 1
    assert (await production.outbox("batch-scheduled.v1"))[-1][2].data["purpose"] == "stock"


async def test_started_and_completed_events_say_stock(production):
    plan = str(uuid.uuid4())
    await deliver(production, planned(plan))
    assert (await production.api.post(f"/batches/{plan}/start")).status_code == 200
    resp = await production.api.post(f"/batches/{plan}/complete", json={"output_quantity": "100"})
    assert resp.status_code == 200, resp.text
    assert (await production.outbox("batch-started.v1"))[0][2].data["purpose"] == "stock"
    completed = (await production.outbox("batch-completed.v1"))[0][2].data
    assert completed["purpose"] == "stock" and completed["covers"] == []
    assert [c["lot_id"] for c in completed["consumption"]] == ["lot-a"]


async def test_an_order_promised_on_a_batch_for_stock_cancelled_before_the_plan_arrives_leaves_it(production):
    """Inventory's MaterialsReserved (the order promised on a batch for stock) reaches
    production before the plan's ReplenishmentPlanned (another topic), and the order is
    cancelled in between: the batch is for stock from the first event and stays planned."""
    plan = str(uuid.uuid4())
    await production.deliver(reserved("SO-9", plan, promised="40", batch="100").model_copy(update={"plan_purpose": "stock"}))
    assert (await _batch(production, plan))["purpose"] == "stock"
    await production.cancel_order("SO-9")
    await deliver(production, planned(plan))
    batch = await _batch(production, plan)
    assert (batch["status"], batch["purpose"], batch["covers"], Decimal(batch["planned_quantity"])) == (
        "planned", "stock", [], Decimal(100))
    assert await production.outbox("batch-cancelled.v1") == []


async def test_a_reservation_on_a_batch_for_stock_for_an_order_already_cancelled_leaves_it(production):
    plan = str(uuid.uuid4())
    await production.cancel_order("SO-10")  # the cancellation first
    await production.deliver(reserved("SO-10", plan, promised="40", batch="100").model_copy(update={"plan_purpose": "stock"}))
    await deliver(production, planned(plan))
    batch = await _batch(production, plan)
    assert (batch["status"], batch["purpose"], batch["covers"]) == ("planned", "stock", [])
    assert await production.outbox("batch-cancelled.v1") == []
