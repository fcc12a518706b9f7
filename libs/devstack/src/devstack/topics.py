"""Creating the topic registry's topics (and their dead-letter topics) in a Kafka cluster."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from devstack._util import DevstackError

TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def topic_specs(prefix: str = "", topics: Iterable | None = None) -> list[TopicSpec]:
    """Every registry topic and its `<topic>.dlt`, qualified with `prefix`. A dead-letter
    topic has the same partition count as its topic; only the topic itself is compacted."""
    from contracts.topics import TOPICS, qualified

    specs: list[TopicSpec] = []
    for t in TOPICS if topics is None else topics:
        cfg = {"cleanup.policy": "compact"} if t.compacted else {}
        specs.append(TopicSpec(qualified(t.name, prefix), t.partitions, cfg))
        specs.append(TopicSpec(qualified(t.dead_letter, prefix), t.partitions))
    return specs


async def create_topics(
    bootstrap: str,
    prefix: str = "",
    *,
    topics: Iterable | None = None,
    replication_factor: int = 1,
    timeout: float = 60.0,
) -> list[str]:
    """Create the registry's topics plus dead-letter topics (those that exist are left as
    they are) and wait until every partition has a leader. Returns all the topic names."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    specs = topic_specs(prefix, topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            resp = await admin.create_topics(
                [NewTopic(s.name, s.partitions, replication_factor, topic_configs=s.config) for s in missing],
                timeout_ms=int(timeout * 1000),
            )
            # topic_errors: (topic, error_code[, error_message]) per topic
            errors = [e for e in resp.topic_errors if e[1] not in (0, TOPIC_ALREADY_EXISTS)]
            if errors:
                raise DevstackError(f"creating topics failed: {errors}")
        await _wait_for_leaders(admin, {s.name: s.partitions for s in specs}, time.monotonic() + timeout)
    finally:
        await admin.close()
    return [s.name for s in specs]


async def _wait_for_leaders(admin, want: dict[str, int], deadline: float) -> None:
    while True:
        pending = dict(want)
        for t in await admin.describe_topics(list(want)):
            parts = t.get("partitions") or []
            if t.get("error_code") == 0 and parts and all(p.get("leader", -1) >= 0 for p in parts):
                pending.pop(t["topic"], None)
        if not pending:
            return
        if time.monotonic() > deadline:
            raise DevstackError(f"topics without leaders after the deadline: {sorted(pending)}")
        await asyncio.sleep(0.1)


async def describe_partitions(bootstrap: str, names: list[str] | None = None) -> dict[str, int]:
    """Topic name -> partition count, as the cluster reports it."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {
            t["topic"]: len(t.get("partitions") or [])
            for t in await admin.describe_topics(names)
            if t.get("error_code") == 0
        }
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, prefix: str) -> list[str]:
    """Delete every topic under `prefix.` (a test run's namespace on a shared cluster)."""
    from aiokafka.admin import AIOKafkaAdminClient

    if not prefix:
        raise ValueError("refusing to delete topics without a prefix")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [n for n in await admin.list_topics() if n.startswith(prefix + ".")]
        if names:
            await admin.delete_topics(names)
        return names
    finally:
        await admin.close()


async def warm_up_group_coordinator(bootstrap: str, timeout: float = 60.0) -> None:
    """Have the broker create `__consumer_offsets` and load its group coordinator now, so the
    first consumer group that joins does not see GroupCoordinatorNotAvailable."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                await admin.find_coordinator("devstack-warm-up")
                return
            except Exception as exc:  # noqa: BLE001 - not available yet: poll
                if time.monotonic() > deadline:
                    raise DevstackError(f"group coordinator not available: {exc!r}") from exc
                await asyncio.sleep(0.1)
    finally:
        await admin.close()
