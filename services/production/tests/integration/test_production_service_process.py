"""The service as its own process on the real stack: a MaterialsReserved on Kafka becomes a
planned batch, and the operator's start/complete reach Kafka through the outbox relay."""

import asyncio
import time
import uuid
from decimal import Decimal

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.topics import qualified, topic_for
from devstack._util import free_port
from devstack.processes import ServiceProcess

from production_testkit import lot, reserved

pytestmark = pytest.mark.integration


async def _wait_for(probe, what: str, deadline: float = 60.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def _events(stack, event_type: str, key: str, deadline: float = 30.0) -> list[Envelope]:
    topic = qualified(topic_for(event_type).name, stack.topic_prefix)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=stack.bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    found: list[Envelope] = []
    try:
        end = time.monotonic() + deadline
        while not found and time.monotonic() < end:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found += [Envelope.from_bytes(r.value) for r in records if r.key == key.encode()]
    finally:
        await consumer.stop()
    return found


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
    event = reserved(order, plan, lots=[lot("lot-a", "BASE", "5")])
    envelope = Envelope(event_type=event.event_type, producer="inventory", correlation_id=order,
                        data=event.model_dump(mode="json"))
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(qualified(topic_for(event).name, stack.topic_prefix), envelope.to_bytes(),
                                     key=order.encode())
    finally:
        await producer.stop()

    async def planned():
        resp = await service.get(f"/batches/{plan}")
        return resp.json() if resp.status_code == 200 else None

    batch = await _wait_for(planned, "the batch to be planned")
    assert batch["status"] == "planned" and batch["covers"][0]["order_id"] == order
    [scheduled] = await _events(stack, "BatchScheduled", plan)
    assert scheduled.causation_id == str(envelope.event_id) and scheduled.correlation_id == order

    assert (await service.post(f"/batches/{plan}/start")).status_code == 200
    done = await service.post(f"/batches/{plan}/complete", json={"output_quantity": "98"})
    assert done.status_code == 200
    [completed] = await _events(stack, "BatchCompleted", plan)
    assert Decimal(completed.data["output_quantity"]) == 98
    assert [c["lot_id"] for c in completed.data["consumption"]] == ["lot-a"]
