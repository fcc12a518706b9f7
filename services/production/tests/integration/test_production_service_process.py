"""The service as its own process on the real stack: a MaterialsReserved on Kafka becomes a
planned batch, and the operator's start/complete reach Kafka through the outbox relay."""

import uuid
from decimal import Decimal

import httpx
import pytest

from devstack.processes import ServiceProcess
from devstack.testing import free_port, publish, read_until
from devstack.waiting import poll

from production_testkit import lot, reserved

pytestmark = pytest.mark.integration


@pytest.fixture
async def service(stack, fresh_db, tmp_path):
    port = free_port()
    env = {
        "PRODUCTION_DATABASE_URL": str(fresh_db),
        "PRODUCTION_KAFKA_BOOTSTRAP": stack.bootstrap,
        "PRODUCTION_TOPIC_PREFIX": stack.topic_prefix,
        # Own group: earlier tests' messages on the shared topics do not hold this one up.
        "PRODUCTION_CONSUMER_GROUP": f"production-{uuid.uuid4().hex[:8]}",
        "PRODUCTION_HTTP_PORT": str(port),
    }
    proc = ServiceProcess("production", "production", env, tmp_path / "production.log")
    proc.start()
    try:
        await proc.wait_healthy_async(f"http://127.0.0.1:{port}/health/ready", deadline=90)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        await proc.terminate_async()


async def test_a_reservation_on_kafka_becomes_a_batch_that_runs_to_completion(stack, service):
    plan = str(uuid.uuid4())
    order = f"order-{uuid.uuid4().hex[:8]}"
    envelope = await publish(stack, reserved(order, plan, lots=[lot("lot-a", "BASE", "5")]))

    async def planned():
        resp = await service.get(f"/batches/{plan}")
        return resp.json() if resp.status_code == 200 else None

    batch = await poll(planned, what="the batch to be planned")
    assert batch["status"] == "planned" and batch["covers"][0]["order_id"] == order
    [scheduled] = await read_until(stack, ["BatchScheduled"], [plan])
    assert scheduled.causation_id == str(envelope.event_id) and scheduled.correlation_id == order

    assert (await service.post(f"/batches/{plan}/start")).status_code == 200
    done = await service.post(f"/batches/{plan}/complete", json={"output_quantity": "98"})
    assert done.status_code == 200
    [completed] = await read_until(stack, ["BatchCompleted"], [plan])
    assert Decimal(completed.data["output_quantity"]) == 98
    assert [c["lot_id"] for c in completed.data["consumption"]] == ["lot-a"]
