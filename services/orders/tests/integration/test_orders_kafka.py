"""The orders service as it runs (bootstrap.build(...).serve()) on the devstack's Kafka and
PostgreSQL: a channel order on Kafka becomes an order and an OrderPlaced on Kafka; a
redelivered Kafka message (same event id) is applied once."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
from datetime import datetime, timezone

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.events import Event
from contracts.topics import topic_for
from eventkit.migrate import migrate
from orders.bootstrap import MIGRATIONS, build
from orders.settings import Settings
from orders_testkit import channel_order, delivered, shipped

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _until(check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


@pytest.fixture
async def service(stack, fresh_db):
    await migrate(str(fresh_db), MIGRATIONS)
    settings = Settings(
        database_url=str(fresh_db), kafka_bootstrap=stack.bootstrap, topic_prefix=stack.topic_prefix,
        consumer_group=f"orders-test-{uuid.uuid4().hex[:8]}", http_port=_free_port(), relay_poll_interval=0.2,
    )
    svc = build(settings)
    task = asyncio.create_task(svc.serve())
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}") as http:
        async def ready():
            with contextlib.suppress(httpx.TransportError):
                return (await http.get("/health/ready")).status_code == 200
        await _until(ready, "the service to be ready")
        yield http
    svc.request_stop()
    await asyncio.wait_for(task, 30)


async def _publish(stack, event: Event, event_id: uuid.UUID, times: int = 1) -> None:
    envelope = Envelope(event_id=event_id, event_type=event.event_type, producer=topic_for(event).producer,
                        correlation_id=event.key(), occurred_at=datetime.now(timezone.utc),
                        data=event.model_dump(mode="json"))
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()
    try:
        for _ in range(times):
            await producer.send_and_wait(stack.topic(topic_for(event).name), envelope.to_bytes(), key=event.key().encode())
    finally:
        await producer.stop()


async def test_channel_order_from_kafka_is_placed_once_and_published(stack, service):
    oid = str(uuid.uuid4())
    await _publish(stack, channel_order(oid, ref="#kafka-1"), uuid.uuid4(), times=2)  # redelivered

    async def placed():
        resp = await service.get(f"/orders/{oid}")
        return resp.json() if resp.status_code == 200 else None
    order = await _until(placed, "the channel order to be placed")
    assert order["channel"] == "shopify" and order["status"] == "received"

    consumer = AIOKafkaConsumer(stack.topic(topic_for("OrderPlaced").name), bootstrap_servers=stack.bootstrap,
                                group_id=f"probe-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest")
    await consumer.start()
    try:
        found: list[Envelope] = []

        async def published():
            batch = await consumer.getmany(timeout_ms=500)
            found.extend(Envelope.from_bytes(r.value) for recs in batch.values() for r in recs if r.key == oid.encode())
            return found
        [env] = await _until(published, "OrderPlaced on Kafka")
        assert env.data["order_no"] == order["order_no"] and env.data["channel_order_ref"] == "#kafka-1"
    finally:
        await consumer.stop()

    await _publish(stack, shipped(oid), uuid.uuid4(), times=2)  # same event id twice
    await _publish(stack, delivered(oid), uuid.uuid4())  # same key, so handled after both copies

    async def is_delivered():
        view = (await service.get(f"/orders/{oid}")).json()
        return view if view["status"] == "delivered" else None
    view = await _until(is_delivered, "Shipped and Delivered to be applied")
    assert [e["event_type"] for e in view["timeline"]] == ["ChannelOrderReceived", "OrderPlaced", "Shipped", "Delivered"]
