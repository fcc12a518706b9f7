"""Inventory as it runs (bootstrap.build(...).serve()) on the devstack's Kafka and PostgreSQL:
two instances in one consumer group; OrderPlaced from Kafka (one delivered twice) are
applied once each, and two orders racing for material enough for one end with exactly one
MaterialsReserved and one MaterialsShort on Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid

import httpx
import pytest
import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from inventory_testkit import D, in_days, order, recipe

from contracts.envelope import Envelope
from contracts.events import Event
from contracts.topics import topic_for
from eventkit.migrate import migrate
from inventory.bootstrap import MIGRATIONS, build
from inventory.settings import Settings

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _until(check, what: str, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


@pytest.fixture
async def two_instances(stack, fresh_db):
    await migrate(str(fresh_db), MIGRATIONS)
    group = f"inventory-test-{uuid.uuid4().hex[:8]}"
    services, tasks, clients = [], [], []
    for _ in range(2):
        settings = Settings(
            database_url=str(fresh_db), kafka_bootstrap=stack.bootstrap, topic_prefix=stack.topic_prefix,
            consumer_group=group, http_port=_free_port(), relay_poll_interval=0.2,
        )
        svc = build(settings)
        services.append(svc)
        tasks.append(asyncio.create_task(svc.serve()))
        clients.append(httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}"))
    for http in clients:
        async def ready(http=http):
            with contextlib.suppress(httpx.TransportError):
                return (await http.get("/health/ready")).status_code == 200
        await _until(ready, "both instances to be ready")
    yield clients, group, fresh_db
    for svc in services:
        svc.request_stop()
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    for http in clients:
        await http.aclose()


async def _publish(stack, events: list[tuple[Event, uuid.UUID]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()
    try:
        for event, event_id in events:
            envelope = Envelope(event_id=event_id, event_type=event.event_type, producer=topic_for(event).producer,
                                correlation_id=event.key(), data=event.model_dump(mode="json"))
            await producer.send_and_wait(stack.topic(topic_for(event).name), envelope.to_bytes(), key=event.key().encode())
    finally:
        await producer.stop()


async def test_two_instances_apply_each_order_once_and_never_oversell(stack, two_instances):
    (api, _), group, db = two_instances
    assert (await api.post("/items", json={"sku": "OIL", "name": "Oil", "kind": "raw", "base_unit": "kg"})).status_code == 201
    assert (await api.post("/receipts", json={"sku": "OIL", "quantity": "60", "unit": "kg", "expiry_date": in_days(90)})).status_code == 201
    sku = f"CREAM-{uuid.uuid4().hex[:6]}"
    await _publish(stack, [(recipe(sku, [("OIL", "1", "kg")], batch_min="10", batch_multiple="10"), uuid.uuid4())])
    await _until(lambda: _has_recipe(api, sku), "the recipe replica")

    a, b = f"a-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
    first = uuid.uuid4()
    await _publish(stack, [(order(a, (sku, "60", "kg")), first), (order(b, (sku, "60", "kg")), uuid.uuid4()),
                           (order(a, (sku, "60", "kg")), first)])  # a redelivered copy

    consumer = AIOKafkaConsumer(
        stack.topic(topic_for("MaterialsReserved").name), stack.topic(topic_for("MaterialsShort").name),
        bootstrap_servers=stack.bootstrap, group_id=f"probe-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        seen: list[Envelope] = []

        async def both_answered():
            batch = await consumer.getmany(timeout_ms=500)
            seen.extend(Envelope.from_bytes(r.value) for recs in batch.values() for r in recs if r.key in (a.encode(), b.encode()))
            return len(seen) >= 2

        await _until(both_answered, "an answer to both orders on Kafka")
    finally:
        await consumer.stop()
    # Once the group has committed past every OrderPlaced (the redelivered copy included),
    # the outbox holds everything inventory will ever say about the two orders.
    await _until(lambda: _consumed_all(stack, group, topic_for("OrderPlaced").name), "the group to consume every OrderPlaced")
    conn = await asyncpg.connect(db.dsn)
    try:
        said = await conn.fetch("SELECT topic FROM outbox WHERE key = ANY($1::text[])", [a, b])
    finally:
        await conn.close()
    assert len(said) == 2
    assert sorted(e.event_type for e in seen) == ["MaterialsReserved", "MaterialsShort"]
    assert {e.data["order_id"] for e in seen} == {a, b}
    (oil,) = (await api.get("/stock", params={"sku": "OIL"})).json()
    assert (D(oil["on_hand"]), D(oil["reserved"]), D(oil["available"])) == (D(60), D(60), D(0))


async def _consumed_all(stack, group: str, topic: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap)
    await admin.start()
    await probe.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        name = stack.topic(topic)
        (described,) = await admin.describe_topics([name])
        partitions = [TopicPartition(name, p["partition"]) for p in described["partitions"]]
        if not partitions:
            return False
        ends = await probe.end_offsets(partitions)
        return all(committed.get(tp) is not None and committed[tp].offset >= end for tp, end in ends.items() if end > 0)
    finally:
        await probe.stop()
        await admin.close()


async def _has_recipe(api: httpx.AsyncClient, sku: str) -> bool:
    return (await api.get(f"/items/{sku}")).status_code == 200
