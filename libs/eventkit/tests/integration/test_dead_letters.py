"""Dead-lettering at its edges: a DLT with fewer partitions than its topic, and errors
classed transient that are in fact the message's own."""

from __future__ import annotations

import pytest

from devstack.waiting import poll
from probe_rig import PLACED, applied_is, committed_is, placed_envelope

pytestmark = pytest.mark.integration


async def test_dead_letters_reach_a_dlt_with_fewer_partitions_than_its_topic(rig):
    # An operator added partitions to the topic to scale out; its DLT kept one.
    await rig.create_topic(rig.dlt, partitions=1)
    probe = await rig.start("a")
    rejected, seen, i = [], set(), 0
    while len(seen) < PLACED.partitions:  # a rejected message on every partition of the topic
        meta = await rig.produce(f"k{i}", placed_envelope(f"o-rej-{i}", customer="REJECT").to_bytes())
        rejected.append(meta)
        seen.add(meta.partition)
        i += 1
    for p in sorted(seen):
        after = [m for m in rejected if m.partition == p][0]
        await rig.produce(f"k{rejected.index(after)}", placed_envelope(f"o-after-{p}").to_bytes())

    for p in sorted(seen):
        await poll(lambda: applied_is(rig, f"o-after-{p}", 1), deadline=30, what=f"the message after the reject on {p}")
    dead = await rig.read_all(rig.dlt, min_count=len(rejected))
    assert {int(dict(r.headers)["dlt.original.partition"]) for r in dead} == seen
    assert {r.partition for r in dead} == {0}
    assert probe.running


async def test_a_deterministic_transient_failure_is_dead_lettered_once_stuck_while_the_database_answers(rig):
    probe = await rig.start("a", PROBE_STUCK_DEAD_LETTER_AFTER="3")
    stuck = await rig.produce("k5", placed_envelope("o-stuck", customer="TRANSIENT").to_bytes())
    behind = await rig.produce("k5", placed_envelope("o-behind").to_bytes())
    where = f"{rig.topic}:{stuck.partition}"

    async def reported_stuck():
        return (await rig.ready(probe))["stuck_seconds"].get(where, 0) > 0

    await poll(reported_stuck, deadline=15, what="readiness to report the partition stuck")
    await poll(lambda: applied_is(rig, "o-behind", 1), deadline=30, what="the message behind the stuck one")
    dead = await rig.read_all(rig.dlt, min_count=1)
    headers = dict(dead[0].headers)
    assert int(headers["dlt.original.offset"]) == stuck.offset
    assert headers["dlt.error.type"] == b"OSError"
    assert b"while the database answers" in headers["dlt.error.message"]
    assert "o-stuck" not in await rig.applied()
    await poll(lambda: committed_is(rig, stuck.partition, behind.offset + 1), what="offset past the message behind")
    assert (await rig.ready(probe))["stuck_seconds"] == {}
