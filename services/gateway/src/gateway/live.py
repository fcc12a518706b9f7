"""The live feed of the console: every event on the system's topics, as it happens.

The gateway reads the topics of the registry as a read-only consumer: no consumer group (so
nothing is committed and no other consumer is disturbed), every partition assigned, starting
at the end (only what happens from now on). Each event is reduced to what a page needs to
decide whether to refresh (type, producer, the order it is about, the aggregate key, time)
and fanned out to the connected browsers. A slow browser loses events rather than holding up
the others: its queue is bounded and it refreshes anyway on the next event it does get."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.topics import TOPICS, qualified

log = logging.getLogger("gateway.live")

QUEUE_SIZE = 200


def summary(topic: str, key: bytes | None, value: bytes | None) -> dict[str, Any] | None:
    try:
        envelope = json.loads(value or b"")
    except ValueError:
        return None
    if not isinstance(envelope, dict) or "event_type" not in envelope:
        return None
    data = envelope.get("data") if isinstance(envelope.get("data"), dict) else {}
    return {
        "event_type": envelope.get("event_type"),
        "producer": envelope.get("producer"),
        "occurred_at": envelope.get("occurred_at"),
        "order_id": data.get("order_id") or envelope.get("correlation_id"),
        "key": key.decode("utf-8", "replace") if key else None,
        "batch_id": data.get("batch_id"),
        "sku": data.get("sku"),
    }


class LiveFeed:
    def __init__(self, bootstrap: str, prefix: str = "") -> None:
        self.bootstrap = bootstrap
        self.topics = [qualified(t.name, prefix) for t in TOPICS]
        self.subscribers: set[asyncio.Queue] = set()
        self.connected = False
        self._task: asyncio.Task | None = None
        # Set while a browser listens: with nobody connected the partitions are paused, so the
        # gateway neither fetches nor decodes the system's whole event stream for no one.
        self._wanted = asyncio.Event()
        self.listening = False  # partitions being fetched (someone is connected)
        self.records_read = 0

    def subscribe(self) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue(QUEUE_SIZE)
        self.subscribers.add(q)
        self._wanted.set()
        return q

    def unsubscribe(self, q: asyncio.Queue) -> None:
        self.subscribers.discard(q)
        if not self.subscribers:
            self._wanted.clear()

    def publish(self, item: dict[str, Any]) -> None:
        for q in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                q.put_nowait(item)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                        client_id="gateway-live")
            try:
                await consumer.start()
                parts = [TopicPartition(t, p) for t in self.topics
                         for p in (consumer.partitions_for_topic(t) or await _partitions(consumer, t))]
                consumer.assign(parts)
                await consumer.seek_to_end(*parts)
                self.connected = self.listening = True
                while True:
                    if not self.subscribers:
                        if self.listening:
                            consumer.pause(*parts)
                            self.listening = False
                        await self._wanted.wait()
                        continue
                    if not self.listening:  # from now on only: what happened meanwhile is nobody's news
                        await consumer.seek_to_end(*parts)
                        consumer.resume(*parts)
                        self.listening = True
                    batch = await consumer.getmany(timeout_ms=1000, max_records=500)
                    for records in batch.values():
                        self.records_read += len(records)
                        for r in records:
                            item = summary(r.topic, r.key, r.value)
                            if item is not None:
                                self.publish(item)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker away: the feed pauses, the console still works
                log.warning("live feed: %s; reconnecting", exc)
            finally:
                self.connected = self.listening = False
                with contextlib.suppress(Exception):
                    await consumer.stop()
            await asyncio.sleep(2)


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    # Metadata for a topic not seen yet; a topic that does not exist has none (skipped).
    with contextlib.suppress(Exception):
        await consumer._client.force_metadata_update()  # noqa: SLF001 - aiokafka offers no public call
    return consumer.partitions_for_topic(topic) or set()
