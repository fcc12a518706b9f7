"""Traffic stops: the group's committed offsets reach the end of every partition on their own,
with no further record arriving to carry the last commit. Lag that stays after a burst is what
operators (and autoscalers on lag) would read as a consumer stuck forever."""

from __future__ import annotations

import pytest

from devstack.waiting import poll
from probe_rig import all_applied, committed_is, ends_of, placed_envelope

pytestmark = pytest.mark.integration


async def _committed_to(rig, ends: dict[int, int]):
    committed = await rig.committed_all()
    return committed if all(committed.get(p) == end for p, end in ends.items()) else None


async def test_a_burst_then_silence_is_committed_to_the_end_of_every_partition(rig):
    await rig.start("a")
    sent = await rig.produce_many([(f"key-{i}", placed_envelope(f"o-{i}").to_bytes()) for i in range(60)])
    applied = await poll(lambda: all_applied(rig, 60), deadline=30, what="the burst applied")
    assert set(applied.values()) == {1}
    ends = ends_of(sent)
    assert len(ends) > 1, "the burst spread over several partitions"
    await poll(lambda: _committed_to(rig, ends), deadline=30, what=f"every partition committed to its end {ends}")


async def test_records_finishing_out_of_order_across_lanes_are_committed_to_the_end(rig):
    # The first record of the partition is the slow one: every later key finishes before it,
    # so the partition's last commit can only happen after the traffic has stopped.
    await rig.start("a", PROBE_SLOW_MS="3000")
    # One partition, whatever the keys: the slow record's.
    slow, *fast = await rig.produce_many(
        [("first-key", placed_envelope("o-slow-2", customer="SLOW").to_bytes())]
        + [(f"later-{i}", placed_envelope(f"o-fast-{i}").to_bytes()) for i in range(10)],
        partition=0,
    )
    ends = ends_of([slow, *fast])

    async def fast_applied_first():
        applied = await rig.applied()
        return all(applied.get(f"o-fast-{i}") == 1 for i in range(10)) and "o-slow-2" not in applied

    await poll(fast_applied_first, deadline=30, what="the later keys applied while the first one is slow")
    assert (await rig.committed(0) or 0) <= slow.offset, "not committed past the unfinished slow record"
    await poll(lambda: _committed_to(rig, ends), deadline=30, what=f"partition 0 committed to its end {ends}")
    assert (await rig.applied())["o-slow-2"] == 1


async def test_a_retried_last_record_is_committed_once_it_succeeds(rig):
    probe = await rig.start("a", PROBE_FLAKY_FAILURES="3")
    sent = await rig.produce_many(
        [(f"key-{i}", placed_envelope(f"o-{i}").to_bytes()) for i in range(5)]
        + [("flaky-key", placed_envelope("o-flaky", customer="FLAKY").to_bytes())],
        partition=1,
    )
    end = sent[-1].offset + 1
    await poll(lambda: committed_is(rig, 1, end), deadline=30, what=f"partition 1 committed to {end} past the retried record")
    applied = await rig.applied()
    assert applied["o-flaky"] == 1 and all(applied[f"o-{i}"] == 1 for i in range(5))
    assert (await rig.ready(probe))["events"]["dead_lettered"] == 0, "retried, not dead-lettered"
