"""Reading topics from the beginning to their current end, outside any consumer group:
what operators' tools (dead letters) and audits need, and nothing else."""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord


async def partitions_of(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics) if topics else []
    finally:
        await admin.close()
    return [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]


async def read_to_end(bootstrap: str, topics: list[str], deadline: float = 30.0) -> list[ConsumerRecord]:
    """Every record now in `topics`, per partition in log order. The end is fixed when the
    read starts; records appended meanwhile may or may not be included."""
    partitions = await partitions_of(bootstrap, topics)
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        begin = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        pending = {tp for tp in partitions if end[tp] > begin[tp]}
        for tp in partitions:
            consumer.seek(tp, begin[tp])
        records: list[ConsumerRecord] = []
        give_up = time.monotonic() + deadline
        while pending:
            if time.monotonic() > give_up:
                raise TimeoutError(f"could not read {sorted(str(tp) for tp in pending)} to their end in {deadline}s")
            for tp, recs in (await consumer.getmany(*pending, timeout_ms=500)).items():
                records.extend(r for r in recs if r.offset < end[tp])
                if recs and recs[-1].offset >= end[tp] - 1:
                    pending.discard(tp)
        return records
    finally:
        await consumer.stop()
