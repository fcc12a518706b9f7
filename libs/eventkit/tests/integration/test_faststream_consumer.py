"""The FastStream consumer (consumer_kind=faststream, an experiment: docs/faststream.md) held to
the kit's guarantees on the real broker: the existing guarantee tests run again against it,
and two guarantees not covered elsewhere run against both consumers (a crash between the
handler's commit and the offset commit; per-key order under concurrency)."""

from __future__ import annotations

import pytest

from devstack.waiting import poll
from integration.test_guarantees import (
    test_offset_does_not_advance_while_the_database_is_down as _offset_waits_for_the_database,
    test_poison_messages_are_dead_lettered_and_the_partition_keeps_flowing as _poison,
    test_the_same_event_delivered_twice_changes_state_once as _duplicate,
    test_two_instances_split_the_partitions_and_handle_each_event_once as _two_instances,
)
from integration.test_rebalance_and_shutdown import (
    test_a_shutdown_mid_batch_stops_between_records_and_commits_what_was_applied as _shutdown_mid_batch,
    test_an_instance_joining_mid_batch_takes_over_without_reapplying_or_leaving_commits_behind as _join_mid_batch,
)
from integration.test_swimlanes import test_a_stuck_key_holds_back_only_itself_and_the_commit_waits_for_it as _stuck_key
from probe_rig import all_applied, placed_envelope

pytestmark = pytest.mark.integration

FASTSTREAM_UP = "FastStream batch subscriber on"


def _with_kind(rig, kind: str):
    """Every probe this rig starts consumes with `kind`."""
    start = rig.start

    async def start_with_kind(instance: str = "a", **env: str):
        proc = await start(instance, PROBE_CONSUMER_KIND=kind, **env)
        # The selector really took effect: only the FastStream consumer logs this line.
        await poll(lambda: (FASTSTREAM_UP in proc.log_tail(400)) == (kind == "faststream"), deadline=30,
                   what=f"the {kind} consumer running")
        return proc

    rig.start = start_with_kind
    return rig


@pytest.fixture
def fs_rig(rig):
    return _with_kind(rig, "faststream")


@pytest.fixture(params=["aiokafka", "faststream"])
def any_rig(rig, request):
    return _with_kind(rig, request.param)


# -- the existing guarantee tests, against the FastStream consumer ------------------------------


async def test_faststream_a_duplicate_changes_state_once(fs_rig):
    await _duplicate(fs_rig)


async def test_faststream_poison_is_dead_lettered_and_the_partition_keeps_flowing(fs_rig):
    await _poison(fs_rig)


async def test_faststream_offset_does_not_advance_while_the_database_is_down(fs_rig, stack):
    await _offset_waits_for_the_database(fs_rig, stack)


async def test_faststream_a_stuck_key_holds_back_only_itself(fs_rig):
    await _stuck_key(fs_rig)


async def test_faststream_two_instances_split_the_partitions(fs_rig):
    await _two_instances(fs_rig)


async def test_faststream_an_instance_joining_mid_batch_reapplies_nothing(fs_rig):
    await _join_mid_batch(fs_rig)


async def test_faststream_a_shutdown_mid_batch_commits_what_was_applied(fs_rig):
    await _shutdown_mid_batch(fs_rig)


# -- guarantees run against both consumers ----------------------------------------------------


async def test_a_crash_after_the_handlers_commit_redelivers_and_the_inbox_dedupes(any_rig):
    """Offsets only after the database commit: records applied but not yet committed to Kafka
    when the process dies are read again by the next run, and the inbox skips them."""
    rig = any_rig
    n = 300
    await rig.create_topics()
    await rig.produce_many([(f"key-{i % 40}", placed_envelope(f"o-{i}", customer="SLOW").to_bytes()) for i in range(n)])
    first = await rig.start("a", PROBE_SLOW_MS="100")
    await poll(lambda: _applied_at_least(rig, 40), deadline=60, what="the first run under way")
    first.kill()  # SIGKILL: whatever was applied since the last offset commit is re-read
    applied_at_crash = len(await rig.applied())
    committed_at_crash = sum((await rig.committed_all()).values())
    assert applied_at_crash > 0

    second = await rig.start("a", PROBE_SLOW_MS="0")
    applied = await poll(lambda: all_applied(rig, n), deadline=90, what=f"{n} orders applied")
    assert set(applied.values()) == {1}, "an order was applied twice"
    events = (await rig.ready(second))["events"]
    # What the second run handled plus what it skipped is everything past the crash commit:
    # the re-read records were there (duplicates_skipped) and changed nothing.
    assert events["handled"] == n - applied_at_crash
    assert events["handled"] + events["duplicates_skipped"] == n - committed_at_crash
    assert events["duplicates_skipped"] == applied_at_crash - committed_at_crash


async def test_records_of_one_key_are_applied_in_offset_order(any_rig):
    """Per-key order with 8 handlers at once: each key's inbox rows, in the order their
    transactions ran, are in offset order."""
    rig = any_rig
    n, keys = 400, 8
    await rig.create_topics()
    sent = await rig.produce_many([(f"key-{i % keys}", placed_envelope(f"o-{i}").to_bytes()) for i in range(n)])
    await rig.start("a")
    await poll(lambda: all_applied(rig, n), deadline=60, what=f"{n} orders applied")
    key_of = {(m.partition, m.offset): f"key-{i % keys}" for i, m in enumerate(sent)}
    # processed_at is the transaction's start: a lane starts the next record after the last committed.
    rows = await rig.sql('SELECT partition, "offset" FROM inbox ORDER BY processed_at, "offset"')
    seen: dict[str, list[int]] = {}
    for r in rows:
        seen.setdefault(key_of[(r["partition"], r["offset"])], []).append(r["offset"])
    assert len(seen) == keys
    for key, offsets in seen.items():
        assert offsets == sorted(offsets), f"{key} applied out of order"


async def _applied_at_least(rig, n: int):
    applied = await rig.applied()
    return applied if len(applied) >= n else None


async def test_a_static_member_restarting_gets_its_partitions_back_without_moving_the_others(any_rig):
    """Static membership (group_instance_id): a crashed instance that is back within the session
    timeout takes its own partitions again; the other instance sees no rebalance. (The timeout
    is 45 s here, not the default 10 s: a process start on a loaded 2-core machine once took
    longer than 10 s, and then the broker rightly rebalanced.)"""
    rig = any_rig
    slow_start = {"PROBE_CONSUMER_SESSION_TIMEOUT_MS": "45000"}
    a = await rig.start("a", **slow_start)
    b = await rig.start("b", **slow_start)

    async def split():
        parts = [(await rig.ready(p))["partitions"] for p in (a, b)]
        return parts if all(parts) and len(parts[0]) + len(parts[1]) == 4 else None

    a_parts, b_parts = await poll(split, deadline=30, what="both instances to own partitions")
    rebalances_seen_by_b = b.log_tail(2000).count("consumer: assigned")
    a.kill()
    again = await rig.start("a", **slow_start)
    await poll(lambda: _owns(rig, again, a_parts), deadline=30, what=f"the restarted a owning {a_parts}")
    assert (await rig.ready(b))["partitions"] == b_parts
    assert b.log_tail(2000).count("consumer: assigned") == rebalances_seen_by_b, "b went through a rebalance"


async def _owns(rig, proc, partitions) -> bool:
    return (await rig.ready(proc))["partitions"] == partitions
