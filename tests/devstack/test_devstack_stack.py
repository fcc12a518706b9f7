"""The real local stack: Kafka (KRaft) and PostgreSQL as started by the `stack` fixture."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from contracts.topics import TOPICS
from devstack import DATABASES, create_topics, describe_partitions
from devstack.postgres import list_databases

pytestmark = pytest.mark.integration


async def test_every_topic_and_dead_letter_topic_exists_with_its_partitions(stack):
    have = await describe_partitions(stack.bootstrap)
    for t in TOPICS:
        assert have.get(stack.topic(t.name)) == t.partitions, t.name
        assert have.get(stack.topic(t.dead_letter)) == t.partitions, t.dead_letter


async def test_compacted_topics_are_compacted(stack):
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    await admin.start()
    try:
        for t in TOPICS:
            [resp] = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, stack.topic(t.name))]
            )
            entries = {e[0]: e[1] for e in resp.resources[0][4]}
            assert entries["cleanup.policy"] == ("compact" if t.compacted else "delete"), t.name
    finally:
        await admin.close()


async def test_creating_topics_again_is_harmless(stack):
    names = await create_topics(stack.bootstrap, stack.topic_prefix)
    assert len(names) == 2 * len(TOPICS)


async def test_a_message_is_produced_and_consumed(stack):
    topic = stack.topic(TOPICS[0].name)
    key, value = uuid.uuid4().hex.encode(), b'{"hello": "kafka"}'
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=stack.bootstrap,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        from aiokafka import TopicPartition

        tp = TopicPartition(topic, meta.partition)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        found = None
        async with __import__("asyncio").timeout(20):
            while found is None:
                for msg in (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
                    if msg.key == key:
                        found = msg
        assert found.value == value
        await consumer.commit({tp: found.offset + 1})
    finally:
        await consumer.stop()


async def test_one_database_per_service(stack):
    assert set(DATABASES) == {"orders", "inventory", "production", "shipping", "channels", "purchasing"}
    assert set(stack.databases) == {stack.database(d) for d in DATABASES}
    assert set(stack.databases) <= set(await list_databases(stack.pg_server_url))
    for db in stack.databases:
        assert stack.url(db).startswith("postgresql+asyncpg://") and stack.url(db).endswith("/" + db)
        conn = await asyncpg.connect(stack.dsn(db))
        try:
            assert await conn.fetchval("SELECT current_database()") == db
        finally:
            await conn.close()


def test_service_env_points_at_the_stack(stack):
    env = stack.service_env("orders")
    assert env["ORDERS_KAFKA_BOOTSTRAP"] == stack.bootstrap
    assert env["ORDERS_TOPIC_PREFIX"] == stack.topic_prefix
    assert env["ORDERS_DATABASE_URL"] == stack.url(stack.database("orders"))


async def test_fresh_db_is_an_empty_database_of_its_own(fresh_db):
    assert fresh_db.startswith("postgresql+asyncpg://") and fresh_db.endswith("/" + fresh_db.name)
    conn = await asyncpg.connect(fresh_db.dsn)
    try:
        assert await conn.fetchval("SELECT current_database()") == fresh_db.name
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
    finally:
        await conn.close()


def test_fresh_db_works_in_sync_tests_too(fresh_db, stack):
    assert fresh_db.name in __import__("devstack._util", fromlist=["run_sync"]).run_sync(
        list_databases(stack.pg_server_url)
    )


async def test_postgres_stops_and_starts_again_on_the_same_port(stack, fresh_db):
    if stack.postgres is None:
        pytest.skip("external PostgreSQL")
    port = stack.postgres.port
    conn = await asyncpg.connect(fresh_db.dsn)
    await conn.execute("CREATE TABLE t (v int); INSERT INTO t VALUES (42)")
    await conn.close()

    await stack.postgres.stop_async()
    with pytest.raises((OSError, asyncpg.PostgresError)):
        await asyncpg.connect(fresh_db.dsn, timeout=2)

    await stack.postgres.start_async()
    assert stack.postgres.port == port
    conn = await asyncpg.connect(fresh_db.dsn)
    try:
        assert await conn.fetchval("SELECT v FROM t") == 42
    finally:
        await conn.close()


async def test_kafka_killed_and_restarted_keeps_its_messages(stack):
    if stack.kafka is None:
        pytest.skip("external Kafka")
    topic = stack.topic(TOPICS[1].name)
    key = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, b"before the crash", key=key)
    finally:
        await producer.stop()

    bootstrap = stack.bootstrap
    await stack.kafka.kill_async()
    await stack.kafka.start_async()
    assert stack.bootstrap == bootstrap

    from aiokafka import TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, meta.partition)
        consumer.assign([tp])
        consumer.seek(tp, meta.offset)
        batch = await consumer.getmany(tp, timeout_ms=10000)
        assert [m.value for m in batch[tp] if m.key == key] == [b"before the crash"]
    finally:
        await consumer.stop()
