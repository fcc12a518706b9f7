"""The consumer's commits, without a broker: one instance's commits never land out of order,
a committed offset that something older overwrote is put right while traffic stands still, and
a steady trickle of events is committed at most once per interval, yet at once when
partitions are given up or the service stops."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

import eventkit.consumer as consumer_module
from eventkit.consumer import EventConsumer, _OffsetTracker
from eventkit.settings import ServiceSettings

pytestmark = pytest.mark.unit

TP = TopicPartition("t", 0)


class _Group:
    """A consumer group's committed offsets as the broker keeps them: the last commit to
    arrive wins. `hold()` keeps the next commit in flight (a client retrying it) until released."""

    def __init__(self):
        self.committed: dict[TopicPartition, int] = {}
        self.commits = 0  # commit requests sent to the broker
        self.held: asyncio.Event | None = None

    def hold(self) -> asyncio.Event:
        self.held = asyncio.Event()
        return self.held

    def assignment(self):
        return {TP}

    async def commit(self, offsets):
        self.commits += 1
        held, self.held = self.held, None
        if held is not None:
            await held.wait()
        for tp, meta in offsets.items():
            self.committed[tp] = meta.offset


def _consumer_on(group: _Group, finished_up_to: int, commit_interval: float = 0.0) -> EventConsumer:
    settings = ServiceSettings(consumer_commit_interval=commit_interval)
    consumer = EventConsumer(settings, uow=None, handlers={}, producer=None)
    consumer._consumer = group  # type: ignore[assignment]
    tracker = consumer._trackers[TP] = _OffsetTracker()
    _finish(tracker, range(finished_up_to))
    return consumer


def _finish(tracker: _OffsetTracker, offsets) -> None:
    for offset in offsets:
        tracker.take(offset)
        tracker.finish(offset)


def test_an_unchanged_position_is_offered_again_once_its_commit_is_old():
    t = _OffsetTracker()
    _finish(t, range(3))
    t.committed, t.committed_at = 3, 100.0
    assert t.to_commit() is None and t.to_commit(now=101.0) is None
    assert t.to_commit(now=100.0 + consumer_module._RECOMMIT_AFTER) == 3


async def test_a_commit_waiting_behind_one_in_flight_sends_what_is_applied_by_then():
    group = _Group()
    consumer = _consumer_on(group, finished_up_to=5)
    release = group.hold()
    first = asyncio.create_task(consumer._commit_applied())  # 5, held in flight
    await asyncio.sleep(0)
    _finish(consumer._trackers[TP], range(5, 9))
    second = asyncio.create_task(consumer._commit_applied(only={TP}))  # a rebalance's commit
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, second)
    # Unserialized, the rebalance's 9 landed first and the held 5 overwrote it.
    assert group.committed[TP] == 9


async def test_an_overwritten_commit_is_put_right_with_no_new_record(monkeypatch):
    group = _Group()
    consumer = _consumer_on(group, finished_up_to=9)
    await consumer._commit_applied()
    assert group.committed[TP] == 9
    group.committed[TP] = 5  # a former owner's older commit, retried into this generation
    await consumer._commit_applied()
    assert group.committed[TP] == 5, "a position committed a moment ago is not sent again at once"
    monkeypatch.setattr(consumer_module, "_RECOMMIT_AFTER", 0.0)
    await consumer._commit_applied()
    assert group.committed[TP] == 9


async def test_nothing_is_committed_for_a_partition_no_longer_owned():
    group = _Group()
    consumer = _consumer_on(group, finished_up_to=4)
    group.assignment = lambda: set()  # type: ignore[method-assign]
    await consumer._commit_applied()
    assert group.committed == {}



async def test_a_trickle_is_committed_once_per_interval_and_what_finished_meanwhile_goes_with_the_next():
    group = _Group()
    consumer = _consumer_on(group, finished_up_to=3, commit_interval=60.0)
    await consumer._commit_applied()
    assert (group.committed[TP], group.commits) == (3, 1)
    for end in (4, 5, 6):  # one record finishes per fetch round
        _finish(consumer._trackers[TP], [end - 1])
        await consumer._commit_applied()
    assert (group.committed[TP], group.commits) == (3, 1), "no commit per fetch round within the interval"
    consumer._committed_at -= 60.0  # the interval has passed
    await consumer._commit_applied()
    assert (group.committed[TP], group.commits) == (6, 2)


async def test_partitions_given_up_are_committed_at_once_whatever_the_interval():
    group = _Group()
    consumer = _consumer_on(group, finished_up_to=3, commit_interval=60.0)
    await consumer._commit_applied()
    _finish(consumer._trackers[TP], [3, 4])
    await consumer._commit_applied(only={TP})  # a rebalance's drain
    assert (group.committed[TP], group.commits) == (5, 2)


async def test_what_was_applied_is_committed_at_once_when_the_service_stops():
    group = _Group()
    consumer = _consumer_on(group, finished_up_to=3, commit_interval=60.0)
    await consumer._commit_applied()
    _finish(consumer._trackers[TP], [3, 4, 5])
    await consumer.stop()
    await consumer._commit_applied()  # the run loop's last commit
    assert group.committed[TP] == 6
