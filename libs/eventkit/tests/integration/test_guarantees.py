"""The event kit's guarantees, against a real Kafka broker and a real PostgreSQL, with the
probe service (tests/probe) running as separate OS processes that get killed and restarted."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from devstack.waiting import poll
from eventkit.dlt import dead_letter_counts, describe, replay
from probe_rig import PLACED, all_applied, applied_is, committed_is, placed_envelope

pytestmark = pytest.mark.integration


async def test_event_committed_before_a_crash_is_published_after_restart(rig):
    # The relay is off, so the event stays committed but unpublished: the crash window.
    first = await rig.start("a", PROBE_RELAY_ENABLED="false")
    async with httpx.AsyncClient() as http:
        event_id = (await http.post(f"{first.url}/emit/o-crash")).json()["event_id"]
    conn = await asyncpg.connect(rig.db.dsn)
    try:
        row = await conn.fetchrow("SELECT published_at FROM outbox WHERE event_id = $1", uuid.UUID(event_id))
        assert row is not None and row["published_at"] is None
    finally:
        await conn.close()
    first.kill()  # SIGKILL: no shutdown code runs

    await rig.start("a")
    records = await rig.read_all(rig.topic, min_count=1)
    assert [json.loads(r.value)["event_id"] for r in records] == [event_id]
    assert dict(records[0].headers)["event_id"].decode() == event_id
    assert "traceparent" in dict(records[0].headers)
    await poll(lambda: applied_is(rig, "o-crash", 1), what="o-crash applied")






async def test_the_same_event_delivered_twice_changes_state_once(rig):
    await rig.start("a")
    dup = placed_envelope("o-dup").to_bytes()
    await rig.produce("k1", dup)
    await rig.produce("k1", dup)
    # Same key, same partition: once the marker is applied, both copies have been handled.
    await rig.produce("k1", placed_envelope("o-marker").to_bytes())
    await poll(lambda: applied_is(rig, "o-marker", 1), what="marker applied")
    assert (await rig.applied())["o-dup"] == 1


async def test_poison_messages_are_dead_lettered_and_the_partition_keeps_flowing(rig):
    await rig.start("a")
    poison = await rig.produce("k2", placed_envelope("o-poison", customer="POISON").to_bytes())
    poison_offset = poison.offset
    garbage_offset = (await rig.produce("k2", b"{not json")).offset
    await rig.produce("k2", placed_envelope("o-reject", customer="REJECT").to_bytes())
    await rig.produce("k2", placed_envelope("o-after").to_bytes())
    await poll(lambda: applied_is(rig, "o-after", 1), what="the message after the poison")

    dead = await rig.read_all(f"{rig.topic}.dlt", min_count=3)
    by_offset = {int(dict(r.headers)["dlt.original.offset"]): dict(r.headers) for r in dead}
    dead_poison = by_offset[poison_offset]
    assert dead_poison["dlt.original.topic"].decode() == rig.topic
    assert dead_poison["dlt.attempts"] == b"3"  # PROBE_MAX_ATTEMPTS
    assert b"can never be handled" in dead_poison["dlt.error.message"]
    assert by_offset[garbage_offset]["dlt.attempts"] == b"1"  # undecodable: no point retrying
    assert any(b"rejected by the domain" in h["dlt.error.message"] for h in by_offset.values())
    assert "o-poison" not in await rig.applied()
    # Everything on the partition is done: committed past all of it (within the commit interval).
    await poll(lambda: committed_is(rig, poison.partition, garbage_offset + 3), deadline=15,
               what="the partition committed past the dead letters")

    # The operator sees it, fixes the cause and replays it: applied once, even if replayed twice.
    shown = [describe(r) for r in dead]
    assert any(d["event_id"] and d["error"] and d["original"].startswith(rig.topic) for d in shown)
    # At least once: a dead letter may be written twice if a crash hits between writing it
    # and committing the offset; replaying both is harmless.
    assert (await dead_letter_counts(rig.stack.bootstrap, rig.prefix))[f"{rig.topic}.dlt"] >= 3
    conn = await asyncpg.connect(rig.db.dsn)
    try:
        await conn.execute("INSERT INTO probe_fixed VALUES ('o-poison')")
    finally:
        await conn.close()
    dlt_topic = f"{rig.topic}.dlt"
    assert await replay(rig.stack.bootstrap, dlt_topic, offsets={r.offset for r in dead}, partition=dead[0].partition) >= 3
    await replay(rig.stack.bootstrap, dlt_topic, offsets={r.offset for r in dead}, partition=dead[0].partition)
    await rig.produce("k2", placed_envelope("o-after-replay").to_bytes())
    await poll(lambda: applied_is(rig, "o-after-replay", 1), what="the message after the replays")
    assert (await rig.applied())["o-poison"] == 1


async def test_offset_does_not_advance_while_the_database_is_down(rig, stack):
    probe = await rig.start("a")
    partition = (await rig.produce("k3", placed_envelope("o-before").to_bytes())).partition
    await poll(lambda: applied_is(rig, "o-before", 1), what="o-before applied")
    committed_before = await poll(lambda: rig.committed(partition), what="a committed offset")

    stack.postgres.stop()
    try:
        offset = (await rig.produce("k3", placed_envelope("o-during").to_bytes())).offset
        # Wait until the probe has tried and failed at least once, then check the offset held.
        await poll(lambda: "transient failure" in probe.log_tail(200), deadline=30, what="a transient failure logged")
        assert await rig.committed(partition) == committed_before == offset
    finally:
        stack.postgres.start()
    await poll(lambda: applied_is(rig, "o-during", 1), deadline=60, what="o-during applied after the outage")
    await poll(lambda: committed_is(rig, partition, offset + 1), what="offset advanced past o-during")




async def test_two_instances_split_the_partitions_and_handle_each_event_once(rig):
    a = await rig.start("a")
    b = await rig.start("b")

    async def split() -> bool:
        async with httpx.AsyncClient() as http:
            parts = [(await http.get(f"{p.url}/health/ready")).json()["partitions"] for p in (a, b)]
        return all(parts) and len(parts[0]) + len(parts[1]) == PLACED.partitions and not set(parts[0]) & set(parts[1])

    await poll(split, deadline=30, what="both instances to own partitions")
    producer = AIOKafkaProducer(bootstrap_servers=rig.stack.bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        sends = [await producer.send(rig.topic, placed_envelope(f"o-{i}").to_bytes(), key=f"key-{i}".encode()) for i in range(200)]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()
    applied = await poll(lambda: all_applied(rig, 200), deadline=60, what="200 orders applied")
    assert set(applied.values()) == {1}
    conn = await asyncpg.connect(rig.db.dsn)
    try:
        handlers = {r["handled_by"] for r in await conn.fetch("SELECT DISTINCT handled_by FROM probe_seen")}
    finally:
        await conn.close()
    assert handlers == {"a", "b"}

