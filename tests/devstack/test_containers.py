"""The testcontainers path of the `stack` fixture (BATCHFLOW_TEST_INFRA=testcontainers): the
broker settings devstack gives its own Kafka reach the container as KAFKA_* variables, and,
when the session runs on containers, the servers behind `stack` are those containers and
behave like devstack's (a produce/consume round trip, the service databases)."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from devstack import containers
from devstack.kafka import BROKER_SETTINGS


@pytest.mark.unit
def test_broker_settings_become_the_images_kafka_variables():
    env = containers.kafka_env({"num.partitions": "4", "a_b.c-d": "x"})
    assert env == {"KAFKA_NUM_PARTITIONS": "4", "KAFKA_A__B_C___D": "x"}
    assert containers.kafka_env(BROKER_SETTINGS)["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


@pytest.mark.unit
def test_only_the_setting_selects_testcontainers(monkeypatch):
    monkeypatch.delenv(containers.ENV_INFRA, raising=False)
    assert not containers.selected()
    monkeypatch.setenv(containers.ENV_INFRA, "devstack")
    assert not containers.selected()
    monkeypatch.setenv(containers.ENV_INFRA, "Testcontainers")
    assert containers.selected()


@pytest.mark.integration
@pytest.mark.skipif(not containers.selected(), reason="the session runs on devstack's own servers")
async def test_the_session_stack_runs_on_containers(stack):
    assert stack.kafka is None and stack.postgres is None  # nothing of devstack's own started
    topic = stack.topic("orders.order-placed.v1")
    key, value = uuid.uuid4().hex.encode(), b"round trip through the container"
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        from aiokafka import TopicPartition

        tp = TopicPartition(topic, sent.partition)
        consumer.assign([tp])
        consumer.seek(tp, sent.offset)
        batch = await consumer.getmany(tp, timeout_ms=10_000)
        assert [(r.key, r.value) for r in batch[tp]][:1] == [(key, value)]
    finally:
        await consumer.stop()
    conn = await asyncpg.connect(stack.dsn(stack.database("orders")))
    try:
        assert await conn.fetchval("SHOW max_connections") == "200"  # devstack's server settings
        # As devstack's server: UTF-8, so customers' names and addresses are stored as sent.
        assert await conn.fetchval("SHOW server_encoding") == "UTF8"
        assert await conn.fetchval("SELECT $1::text", "Bâtiment B, Zoë") == "Bâtiment B, Zoë"
    finally:
        await conn.close()
