"""Re-delivering what is already on the topics, as Kafka may after a crash or a rebalance."""

from __future__ import annotations

import json
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts.topics import TOPICS


async def records_about(stack, keys: set[str]) -> list:
    """Every saga event on every topic whose key is one of `keys`, in log order per partition."""
    names = [stack.topic(t.name) for t in TOPICS]
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, group_id=None, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    await consumer.start()
    await admin.start()
    try:
        parts = [TopicPartition(d["topic"], p["partition"]) for d in await admin.describe_topics(names) for p in d["partitions"]]
        consumer.assign(parts)
        end = await consumer.end_offsets(parts)
        await consumer.seek_to_beginning(*parts)
        out, remaining = [], {tp for tp in parts if end[tp] > 0}
        while remaining:
            for recs in (await consumer.getmany(timeout_ms=500)).values():
                out.extend(r for r in recs if r.key and r.key.decode() in keys)
            remaining = {tp for tp in remaining if await consumer.position(tp) < end[tp]}
        return out
    finally:
        await admin.close()
        await consumer.stop()


async def redeliver(stack, records: list, new_ids: bool = False) -> None:
    """Send the records again: byte for byte, or as the same facts under new event ids."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for r in records:
            value = r.value
            if new_ids:
                envelope = json.loads(value)
                envelope["event_id"] = str(uuid.uuid4())
                value = json.dumps(envelope).encode()
            await producer.send_and_wait(r.topic, value, key=r.key, headers=list(r.headers or []))
    finally:
        await producer.stop()
