"""Partitions changing hands in the middle of a large batch: a second instance joining, and
a graceful shutdown. Nothing is applied by two owners, nothing applied goes uncommitted."""

from __future__ import annotations

import pytest

from devstack.waiting import poll
from probe_rig import all_applied, placed_envelope

pytestmark = pytest.mark.integration


async def _applied_at_least(rig, n: int):
    applied = await rig.applied()
    return applied if len(applied) >= n else None


async def test_an_instance_joining_mid_batch_takes_over_without_reapplying_or_leaving_commits_behind(rig):
    n = 1000
    # The backlog is there before the first instance starts: its batches are full ones.
    await rig.create_topics()
    sent = await rig.produce_many([(f"key-{i}", placed_envelope(f"o-{i}", customer="SLOW").to_bytes()) for i in range(n)])
    # 300 ms each, 8 at once (the default consumer_concurrency): a alone would need ~40 s,
    # long enough for b to start and join while a's lanes are busy.
    a = await rig.start("a", PROBE_SLOW_MS="300")
    await poll(lambda: _applied_at_least(rig, 40), deadline=30, what="instance a busy with its first batch")
    b = await rig.start("b", PROBE_SLOW_MS="300")

    applied = await poll(lambda: all_applied(rig, n), deadline=120, what=f"{n} orders applied")
    assert set(applied.values()) == {1}
    ready = [await rig.ready(p) for p in (a, b)]
    # Each record was taken by exactly one owner: no owner re-read what another had applied
    # (the inbox would have hidden it; these counters do not).
    assert [r["events"]["duplicates_skipped"] for r in ready] == [0, 0]
    assert sum(r["events"]["handled"] for r in ready) == n
    assert {row["handled_by"] for row in await rig.sql("SELECT DISTINCT handled_by FROM probe_seen")} == {"a", "b"}

    ends: dict[int, int] = {}
    for meta in sent:
        ends[meta.partition] = max(ends.get(meta.partition, 0), meta.offset + 1)

    async def all_committed():
        return await rig.committed_all() == ends

    await poll(all_committed, deadline=30, what=f"every partition committed to its end {ends}")


async def test_a_shutdown_mid_batch_stops_between_records_and_commits_what_was_applied(rig):
    n = 600
    # One key: one partition, and the backlog is there before the probe starts, so its first
    # batch is a full one (500 records, 20 s: longer than the runtime waits on shutdown).
    await rig.create_topics()
    sent = await rig.produce_many([("one-key", placed_envelope(f"o-{i}", customer="SLOW").to_bytes()) for i in range(n)])
    probe = await rig.start("a", PROBE_SLOW_MS="40")
    await poll(lambda: _applied_at_least(rig, 20), deadline=30, what="the batch under way")
    assert await probe.terminate_async(timeout=40) is not None
    applied = len(await rig.applied())
    assert applied < n
    assert await rig.committed(sent[0].partition) == sent[0].offset + applied
