"""The console's live feed on a real broker: events reach a connected browser as they
happen; with nobody connected the gateway does not read the system's event stream at all
(partitions paused), and a browser that connects later gets what happens from then on."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from aiokafka import AIOKafkaProducer

from contracts.topics import TOPICS, qualified
from devstack.waiting import poll
from gateway.live import LiveFeed

pytestmark = pytest.mark.integration


def event(order_id: str) -> bytes:
    return json.dumps({"event_type": "OrderPlaced", "producer": "orders", "occurred_at": "2026-12-02T00:00:00Z",
                       "data": {"order_id": order_id}}).encode()


async def test_the_feed_reads_only_while_someone_listens(stack):
    ns = stack.namespace(f"live{uuid.uuid4().hex[:6]}")
    topic = qualified(TOPICS[0].name, ns.topic_prefix)
    feed = LiveFeed(ns.bootstrap, ns.topic_prefix)
    producer = AIOKafkaProducer(bootstrap_servers=ns.bootstrap)
    await producer.start()
    feed.start()
    try:
        browser = feed.subscribe()
        await poll(lambda: feed.listening, deadline=60, what="the feed assigned and at the end of every topic")
        await producer.send_and_wait(topic, event("o1"), key=b"same")
        assert (await asyncio.wait_for(browser.get(), 30))["order_id"] == "o1"
        assert feed.records_read == 1

        feed.unsubscribe(browser)
        await poll(lambda: not feed.listening, deadline=10, what="the feed paused")
        await producer.send_and_wait(topic, event("o2"), key=b"same")  # nobody connected

        later = feed.subscribe()
        await poll(lambda: feed.listening, deadline=10, what="the feed resumed")
        await producer.send_and_wait(topic, event("o3"), key=b"same")  # same partition, after o2
        assert (await asyncio.wait_for(later.get(), 30))["order_id"] == "o3"
        # o2 was never fetched nor decoded (read, it would have come before o3 on its partition).
        assert feed.records_read == 2 and later.empty()
    finally:
        await feed.stop()
        await producer.stop()
