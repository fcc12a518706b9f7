"""The consumer's swimlanes and offset tracker, without a broker: records of one partition are
applied per key in offset order, keys concurrently; the commit position never passes a record
not yet applied; a halt (rebalance, shutdown) stops at the fence without leaving a hole."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from aiokafka import TopicPartition

from eventkit.consumer import EventConsumer, _OffsetTracker
from eventkit.settings import ServiceSettings

pytestmark = pytest.mark.unit

TP = TopicPartition("t", 0)


def _records(*keys: str, first: int = 0) -> list:
    return [SimpleNamespace(topic=TP.topic, partition=TP.partition, offset=first + i, key=k.encode()) for i, k in enumerate(keys)]


class _Floor:
    """A fake handler run: records what was applied, holds the keys it is told to hold."""

    def __init__(self, held: set[str]):
        self.applied: list[tuple[str, int]] = []
        self.release = {k: asyncio.Event() for k in held}

    async def process(self, record, lane) -> None:
        key = record.key.decode()
        if key in self.release:
            await self.release[key].wait()
        await asyncio.sleep(0)
        self.applied.append((key, record.offset))


def _consumer(floor: _Floor, concurrency: int = 4) -> EventConsumer:
    consumer = EventConsumer(ServiceSettings(consumer_concurrency=concurrency), uow=None, handlers={}, producer=None)
    consumer._process = floor.process  # type: ignore[method-assign]
    return consumer


async def _until(condition, seconds: float = 5.0) -> None:
    async def wait():
        while not condition():
            await asyncio.sleep(0.001)

    await asyncio.wait_for(wait(), seconds)


def test_the_tracker_commits_only_past_an_unbroken_run_of_finished_offsets():
    t = _OffsetTracker()
    for offset in (3, 4, 7, 9):  # gaps, as on a compacted topic
        assert t.take(offset)
    assert not t.take(4)  # fetched again: already taken
    t.finish(4)
    t.finish(7)
    assert t.to_commit() is None  # 3 is not finished
    t.finish(3)
    assert t.to_commit() == 8
    t.committed = 8
    assert t.to_commit() is None
    t.finish(9)
    assert t.to_commit() == 10


async def test_a_held_key_holds_back_only_itself_and_the_commit_waits_for_it():
    floor = _Floor(held={"slow"})
    consumer = _consumer(floor)
    consumer._dispatch({TP: _records("slow", "a", "b", "a", "slow", "b")})
    await _until(lambda: len(floor.applied) == 4)
    assert [o for k, o in floor.applied if k == "a"] == [1, 3]  # per key in offset order
    assert [o for k, o in floor.applied if k == "b"] == [2, 5]
    assert consumer._trackers[TP].to_commit() is None  # offset 0 is not applied yet
    floor.release["slow"].set()
    await _until(lambda: len(floor.applied) == 6)
    assert [o for k, o in floor.applied if k == "slow"] == [0, 4]
    assert consumer._trackers[TP].to_commit() == 6
    assert consumer._buffered == 0 and not consumer._lanes


async def test_at_most_the_configured_number_of_handlers_run_at_once():
    running, peak = 0, 0

    async def process(record, lane):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    consumer = _consumer(_Floor(set()), concurrency=3)
    consumer._process = process  # type: ignore[method-assign]
    consumer._dispatch({TP: _records(*(f"k{i}" for i in range(12)))})
    await _until(lambda: consumer._trackers[TP].to_commit() == 12)
    assert peak == 3


async def test_a_halt_applies_what_lies_below_the_fence_and_drops_the_rest():
    floor = _Floor(held={"a"})
    consumer = _consumer(floor, concurrency=8)
    # b@1 and c@2 are applied at once; a@0 is held, a@3 and d... wait behind it or come later.
    consumer._dispatch({TP: _records("a", "b", "c", "a", "b")})
    await _until(lambda: len(floor.applied) == 3)  # b@1, c@2, b@4
    # Halted now (a rebalance): the fence is the highest offset started (4); a@0 is in flight,
    # a@3 lies below the fence, so both are applied before the partition is given up and the
    # next owner starts after 4 without re-reading anything applied here.
    drained = asyncio.create_task(consumer._drain({TP}))
    await asyncio.sleep(0.01)
    floor.release["a"].set()
    await drained
    assert sorted(floor.applied) == [("a", 0), ("a", 3), ("b", 1), ("b", 4), ("c", 2)]
    assert consumer._trackers[TP].to_commit() == 5
    # Records fetched after the halt for a new lane are not the fence's business: a new
    # dispatch after the partition is revoked is ignored.
    consumer._revoked.add(TP)
    consumer._dispatch({TP: _records("e", first=5)})
    assert not consumer._lanes and consumer._buffered == 0


async def test_a_halt_leaves_records_above_the_fence_unapplied():
    floor = _Floor(held={"a"})
    consumer = _consumer(floor, concurrency=1)  # one at a time: a@0 blocks everything
    consumer._dispatch({TP: _records("a", "b", "c")})
    await _until(lambda: consumer._trackers[TP].highest_started == 0)
    drained = asyncio.create_task(consumer._drain({TP}))
    await asyncio.sleep(0.01)
    floor.release["a"].set()
    await drained
    assert floor.applied == [("a", 0)]
    assert consumer._trackers[TP].to_commit() == 1
    assert consumer._buffered == 0 and not consumer._lanes


async def test_a_lane_that_outlived_its_drain_does_not_swallow_the_partitions_next_records():
    floor = _Floor(held={"a"})
    consumer = _consumer(floor)
    consumer._dispatch({TP: _records("a")})
    await _until(lambda: consumer._trackers[TP].highest_started == 0)
    consumer._halt({TP})  # the drain gave up waiting: a@0 is still being applied
    consumer._trackers.pop(TP)  # the partition was given up... and assigned back
    consumer._dispatch({TP: _records("a", "a", first=1)})
    floor.release["a"].set()
    await _until(lambda: consumer._trackers[TP].to_commit() == 3)
    assert ("a", 1) in floor.applied and ("a", 2) in floor.applied
