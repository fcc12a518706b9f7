"""The probe service (tests/probe) run as separate OS processes against the real Kafka and
PostgreSQL, and what the kit's integration tests look at: what was applied, what is on a
topic, what the group committed, what readiness says."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from contracts.envelope import Envelope
from contracts.events import OrderPlaced
from contracts.topics import qualified, topic_for
from devstack._util import free_port
from devstack.processes import ServiceProcess
from devstack.topics import create_topics
from devstack.waiting import poll
from eventkit.topic_reader import read_to_end

TESTS_DIR = Path(__file__).resolve().parent
PLACED = topic_for(OrderPlaced)


def placed_envelope(order_id: str, customer: str = "Ada") -> Envelope:
    body = OrderPlaced(
        order_id=order_id,
        order_no=order_id,
        customer={"name": customer, "email": "ada@example.com"},
        lines=[{"line_no": 1, "sku": "SKU-1", "quantity": "1", "unit": "pcs"}],
        placed_at=datetime.now(timezone.utc),
    )
    return Envelope(event_type="OrderPlaced", producer="test", correlation_id=order_id, data=body.model_dump(mode="json"))


@dataclass
class ProbeRig:
    stack: object
    db: str
    prefix: str
    logs: Path
    procs: list[ServiceProcess] = field(default_factory=list)

    @property
    def topic(self) -> str:
        return qualified(PLACED.name, self.prefix)

    @property
    def dlt(self) -> str:
        return f"{self.topic}.dlt"

    @property
    def group(self) -> str:
        return f"probe-{self.prefix}"

    async def create_topic(self, name: str, partitions: int, **config: str) -> None:
        """Create one topic as a test needs it, before `start` creates the missing others."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.stack.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=config)])
        finally:
            await admin.close()

    async def create_topics(self) -> None:
        """The probe's topic and its DLT, those missing (`start` does it too)."""
        await create_topics(self.stack.bootstrap, self.prefix, topics=[PLACED])

    async def start(self, instance: str = "a", **env: str) -> ServiceProcess:
        await self.create_topics()
        port = free_port()
        full_env = {
            "PYTHONPATH": str(TESTS_DIR),
            "PROBE_DATABASE_URL": self.db,
            "PROBE_KAFKA_BOOTSTRAP": self.stack.bootstrap,
            "PROBE_TOPIC_PREFIX": self.prefix,
            "PROBE_CONSUMER_GROUP": self.group,
            "PROBE_HTTP_PORT": str(port),
            "PROBE_INSTANCE": instance,
            "PROBE_INSTANCE_ID": instance,
            "PROBE_MAX_ATTEMPTS": "3",
            "PROBE_RETRY_BACKOFF_INITIAL": "0.05",
            "PROBE_RETRY_BACKOFF_MAX": "0.5",
            **env,
        }
        proc = ServiceProcess(f"probe-{instance}", "probe", full_env, self.logs / f"probe-{instance}.log", cwd=TESTS_DIR)
        proc.url = f"http://127.0.0.1:{port}"
        proc.start()
        self.procs.append(proc)  # before waiting: a probe that never gets healthy is still killed
        await proc.wait_healthy_async(f"{proc.url}/health/ready", deadline=60)
        return proc

    async def ready(self, proc: ServiceProcess) -> dict:
        async with httpx.AsyncClient() as http:
            return (await http.get(f"{proc.url}/health/ready")).json()

    async def produce(self, key: str, value: bytes):
        """Send and return the record's metadata (partition, offset)."""
        return (await self.produce_many([(key, value)]))[0]

    async def produce_many(self, messages: list[tuple[str, bytes]], partition: int | None = None) -> list:
        """Send in this order (to one `partition` if given, whatever the keys); return the metadata."""
        producer = AIOKafkaProducer(bootstrap_servers=self.stack.bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            sends = [await producer.send(self.topic, value, key=key.encode(), partition=partition) for key, value in messages]
            return list(await asyncio.gather(*sends))
        finally:
            await producer.stop()

    async def sql(self, query: str, *args):
        conn = await asyncpg.connect(self.db.dsn)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    async def applied(self) -> dict[str, int]:
        conn = await asyncpg.connect(self.db.dsn)
        try:
            if not await conn.fetchval("SELECT to_regclass('probe_seen') IS NOT NULL"):
                return {}
            return {r["order_id"]: r["applied"] for r in await conn.fetch("SELECT order_id, applied FROM probe_seen")}
        finally:
            await conn.close()

    async def read_all(self, topic: str, min_count: int = 1, deadline: float = 20.0) -> list:
        """The records of `topic`, once there are at least `min_count` of them."""
        return await poll(lambda: _at_least(read_to_end(self.stack.bootstrap, [topic]), min_count),
                          deadline=deadline, what=f"{min_count} record(s) on {topic}")

    async def committed(self, partition: int) -> int | None:
        """The group's committed offset on one partition of the topic."""
        return (await self.committed_all()).get(partition)

    async def committed_all(self) -> dict[int, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.stack.bootstrap)
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(self.group)
        finally:
            await admin.close()
        return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == self.topic}


async def _at_least(records, n: int):
    found = await records
    return found if len(found) >= n else None


async def applied_is(rig: ProbeRig, order_id: str, n: int) -> bool:
    return (await rig.applied()).get(order_id) == n


async def all_applied(rig: ProbeRig, n: int):
    applied = await rig.applied()
    return applied if len(applied) >= n else None


def ends_of(sent: list) -> dict[int, int]:
    """Per partition, the offset just past the last of the `sent` records (what a group that
    consumed them all has committed)."""
    ends: dict[int, int] = {}
    for meta in sent:
        ends[meta.partition] = max(ends.get(meta.partition, 0), meta.offset + 1)
    return ends


async def committed_is(rig: ProbeRig, partition: int, offset: int) -> bool:
    return await rig.committed(partition) == offset


def new_prefix() -> str:
    return f"ek{uuid.uuid4().hex[:8]}"


__all__ = ["PLACED", "ProbeRig", "TopicPartition", "all_applied", "applied_is", "committed_is", "ends_of", "new_prefix",
           "placed_envelope"]
