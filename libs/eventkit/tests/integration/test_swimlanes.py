"""Swimlanes on the real broker: a message stuck in retries holds back only its own key. The
other keys of its partition are applied meanwhile, yet the partition's committed offset stays
on the stuck message until it is dead-lettered, and readiness says how long it has been stuck."""

from __future__ import annotations

import pytest

from devstack.waiting import poll
from probe_rig import committed_is, placed_envelope

pytestmark = pytest.mark.integration


async def test_a_stuck_key_holds_back_only_itself_and_the_commit_waits_for_it(rig):
    probe = await rig.start("a", PROBE_STUCK_DEAD_LETTER_AFTER="25")
    stuck = await rig.produce("stuck-key", placed_envelope("o-stuck", customer="TRANSIENT").to_bytes())
    sent = await rig.produce_many([(f"other-{i}", placed_envelope(f"o-{i}").to_bytes()) for i in range(24)])
    behind = [(f"o-{i}", meta) for i, meta in enumerate(sent) if meta.partition == stuck.partition]
    assert behind, "some keys share the stuck key's partition (24 keys over 4 partitions)"

    async def all_behind_applied():
        applied = await rig.applied()
        return all(applied.get(order) == 1 for order, _ in behind)

    await poll(all_behind_applied, deadline=20, what="the other keys of the stuck partition applied")
    assert "o-stuck" not in await rig.applied()
    # Applied after the stuck one, but not committed past it: a crash now re-reads them all.
    assert await rig.committed(stuck.partition) in (None, stuck.offset)
    stuck_seconds = (await rig.ready(probe))["stuck_seconds"]
    assert f"{rig.topic}:{stuck.partition}" in stuck_seconds

    dead = await rig.read_all(rig.dlt, min_count=1, deadline=60)
    assert [int(dict(r.headers)["dlt.original.offset"]) for r in dead] == [stuck.offset]
    end = max(meta.offset for _, meta in behind) + 1
    await poll(lambda: committed_is(rig, stuck.partition, end), deadline=30, what="the partition committed to its end")
