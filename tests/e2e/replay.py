"""Re-delivering what is already on the topics, as Kafka may after a crash or a rebalance."""

from __future__ import annotations

import json
import uuid

from aiokafka import AIOKafkaProducer

from contracts.topics import TOPICS
from eventkit.topic_reader import read_to_end


async def records_about(stack, keys: set[str]) -> list:
    """Every saga event on every topic whose key is one of `keys`, in log order per partition."""
    records = await read_to_end(stack.bootstrap, [stack.topic(t.name) for t in TOPICS])
    return [r for r in records if r.key and r.key.decode() in keys]


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
