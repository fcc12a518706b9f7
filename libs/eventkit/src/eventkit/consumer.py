"""Idempotent, at-least-once consumption with retries and dead-lettering: the delivery contract.

Applying: per message, decode the envelope and body; in one database transaction insert the
inbox row (consumer group, event_id) and run the handler; commit. A duplicate inbox row
means the event was already applied: nothing happens.

Swimlanes: fetched records go to one lane per partition and key, which applies them one
after the other in offset order; lanes run concurrently (at most `consumer_concurrency`
handlers at once), so a slow or retrying message holds back only the later messages of its
own key, never the partition or the next fetch. Fetching goes on while lanes work, up to
`_MAX_BUFFERED` records taken and not finished.

Committing: per partition an offset tracker knows which offsets were taken and which are
finished; the offset committed is the one just past the longest finished run from the start,
so an offset is committed to Kafka only after the transactions of every message up to it
committed. At most one commit per `consumer_commit_interval` (a commit is a write to Kafka's
offsets log; one per fetch round was most of Kafka's CPU at a steady trickle of events),
looked at every fetch round, and always when partitions are given up or the service stops;
only for partitions this instance still owns (a commit naming a lost partition would be
refused whole, taking the owned ones down with it). A fetch round ends within 200 ms (outside
a rebalance), so what finished is committed when traffic stops too. Commits of one instance
go out one at a time, each computed when its turn comes (a rebalance's commit never
overtakes a fetch round's older one). A position that has not moved is committed again every
`_RECOMMIT_AFTER` seconds: the client retries a failed commit by itself, possibly into the
next generation, so a former owner's older offset can land after the new owner's last
commit; without the refresh the group would show that lag until the next record arrives.
(A partition this instance has applied nothing to since it got it has no position of its
own yet, so nothing is refreshed there.)

Failures: an error classed transient (database down, connection lost, SQLSTATE 08/40/53/57,
OSError/TimeoutError or caused by one) is retried with backoff and the offset does not move.
Transient retries are bounded: once a message has been stuck for `stuck_dead_letter_after`
seconds *and the database answers a trivial query*, the error is deterministic after all
and the message is dead-lettered with that reason (while the database does not answer, the
retries go on). Any other error is retried `max_attempts` times, then the message is
dead-lettered; a message that can never be decoded, a `DomainRejection` or a value
PostgreSQL refuses goes there at once. The partition keeps flowing. `stuck()` tells how
long each partition has been held on one offset (readiness shows it).

Dead letters go to `<topic>.dlt`, keyed like the original (never pinned to the original's
partition: the DLT may have fewer partitions), with the original topic/partition/offset and
the error in headers. Until a dead letter is stored the offset does not move past it: any
failure to write it is retried with backoff; it never ends the consumer.

Rebalancing: before a partition is given up, its in-flight work is drained and what was
applied is committed, so the next owner starts exactly after it and nothing is applied by
two owners at once. Draining stops each lane between records at a fence: the highest offset
of the partition already started. Records below it still waiting in other lanes are applied
first, so the finished run is unbroken up to the fence and the next owner re-reads nothing
this one applied. With
`instance_id` set, the member is static (`group_instance_id`): a restart within the
session timeout gets its partitions back without stopping the rest of the group.

Observability: every outcome (applied, duplicate, dead_lettered, retried) is counted per
event type in the service's metrics, applied events with their handler latency; `lag()`
tells how far each owned partition is behind its high watermark.

Shutdown: drains every partition like a rebalance (between records, at the fence, and out
of any retry wait), commits what was applied, then leaves. A message that fails for a reason
nobody classified (a defect of ours) is logged and retried in its lane with backoff: the
offset never moves past it and the consumer never dies of it. A crash instead of a shutdown re-reads from the last commit; the inbox makes
that harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata
from opentelemetry import trace
from pydantic import ValidationError
from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.events import Event
from contracts.topics import UnknownEvent, parse_body, qualified, topic_for
from eventkit.errors import DomainRejection, is_bad_value, is_transient
from eventkit.metrics import ServiceMetrics
from eventkit.settings import ServiceSettings
from eventkit.tracing import context_from_headers, tracer
from eventkit.unit_of_work import Context, UnitOfWork

log = logging.getLogger("eventkit.consumer")

Handler = Callable[[Context, Event], Awaitable[None]]

_CLAIM = text(
    'INSERT INTO inbox (consumer, event_id, topic, partition, "offset", correlation_id, traceparent) '
    "VALUES (:consumer, :event_id, :topic, :partition, :offset, :correlation_id, :traceparent) ON CONFLICT DO NOTHING"
)
# The claim of a handler `serialized_by` a key: its advisory lock first, in the same statement
# (one round trip less on every such event). The handler's next statement takes a new snapshot,
# so it sees whatever the previous holder of the lock committed.
_CLAIM_SERIALIZED = text(
    'INSERT INTO inbox (consumer, event_id, topic, partition, "offset", correlation_id, traceparent) '
    "SELECT :consumer, CAST(:event_id AS uuid), :topic, CAST(:partition AS int), CAST(:offset AS bigint), "
    ":correlation_id, :traceparent FROM (SELECT pg_advisory_xact_lock(hashtextextended(:lock, 0))) AS serialized "
    "ON CONFLICT DO NOTHING"
)


def serialized_by(key: Callable[[Event], str]) -> Callable[[Handler], Handler]:
    """Declare that a handler starts by taking the advisory lock `key(event)` (`Context.lock`):
    the consumer takes it with the inbox claim, so the handler's own `ctx.lock(key)` is free."""

    def declare(handler: Handler) -> Handler:
        handler.lock_key = key  # type: ignore[attr-defined]
        return handler

    return declare


def _lock_key(handler: Handler) -> Callable[[Event], str] | None:
    # A composition root may bind a handler's settings with functools.partial: look through it.
    return getattr(handler, "lock_key", None) or getattr(getattr(handler, "func", None), "lock_key", None)


# How long a revoked partition's records in flight may take to finish before the partition is
# given up anyway (its records are then re-read by the next owner and deduplicated).
_DRAIN_TIMEOUT = 30.0
# Records fetched and not yet finished, over all lanes: the next fetch waits below this.
_MAX_BUFFERED = 500
# An unchanged position is committed again after this long (see Committing): one small
# request per instance at rest, and an overwritten commit is put right within this time.
_RECOMMIT_AFTER = 10.0


def _header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or []:
        if key == name and value is not None:
            return value.decode("utf-8", "replace")
    return None


class _Stopping(Exception):
    """Raised inside a retry loop when the partition must be let go (shutdown, revoked):
    leave the message unapplied."""


class _OffsetTracker:
    """One partition's offsets taken into work (ascending, as fetched) and finished (in any
    order across lanes): the commit position is just past the longest finished run from the
    start. Offsets may have gaps (compacted topics); only taken offsets count."""

    def __init__(self) -> None:
        self._taken: deque[int] = deque()
        self._finished: set[int] = set()
        self.position: int | None = None  # next offset to commit, once something finished
        self.committed: int | None = None  # what was last committed to Kafka
        self.committed_at = 0.0  # when (monotonic)
        self.highest_taken = -1
        self.highest_started = -1

    def take(self, offset: int) -> bool:
        """Take a fetched offset into work; False if it was taken already (a re-fetch)."""
        if offset <= self.highest_taken:
            return False
        self._taken.append(offset)
        self.highest_taken = offset
        return True

    def start(self, offset: int) -> None:
        self.highest_started = max(self.highest_started, offset)

    def finish(self, offset: int) -> None:
        self._finished.add(offset)
        while self._taken and self._taken[0] in self._finished:
            done = self._taken.popleft()
            self._finished.discard(done)
            self.position = done + 1

    def to_commit(self, now: float | None = None) -> int | None:
        """The position, if it moved since the last commit or (given `now`) if that commit
        is `_RECOMMIT_AFTER` seconds old."""
        if self.position is None:
            return None
        if self.position != self.committed:
            return self.position
        if now is not None and now - self.committed_at >= _RECOMMIT_AFTER:
            return self.position
        return None


@dataclass
class _Lane:
    """One key's records of one partition, applied in offset order."""

    tp: TopicPartition
    key: bytes | None
    tracker: _OffsetTracker
    records: deque = field(default_factory=deque)
    halt: asyncio.Event = field(default_factory=asyncio.Event)
    # Once halted, records at or below the fence are still applied (see Rebalancing).
    fence: int = -1
    done: asyncio.Event = field(default_factory=asyncio.Event)
    stuck_since: float | None = None
    task: asyncio.Task | None = None  # held here: the event loop keeps only weak references

    def failing(self) -> float:
        """Mark the lane held on its record by failures; return since when."""
        if self.stuck_since is None:
            self.stuck_since = time.monotonic()
        return self.stuck_since

    def may_apply(self, record: ConsumerRecord) -> bool:
        return not self.halt.is_set() or record.offset <= self.fence


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, consumer: EventConsumer):
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked) -> None:
        await self._consumer._give_up(set(revoked))

    async def on_partitions_assigned(self, assigned) -> None:
        self._consumer._revoked.clear()
        log.info("consumer: assigned %s", sorted(f"{tp.topic}:{tp.partition}" for tp in assigned))


class EventConsumer:
    def __init__(
        self,
        settings: ServiceSettings,
        uow: UnitOfWork,
        handlers: dict[type[Event], Handler],
        producer: AIOKafkaProducer,
        metrics: ServiceMetrics | None = None,
    ):
        self._settings = settings
        self._metrics = metrics or ServiceMetrics()
        self._uow = uow
        self._handlers = {cls.event_type: h for cls, h in handlers.items()}
        self._topics = sorted({qualified(topic_for(cls).name, settings.topic_prefix) for cls in handlers})
        self._producer = producer
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._lanes: dict[tuple[TopicPartition, bytes | None], _Lane] = {}
        self._trackers: dict[TopicPartition, _OffsetTracker] = {}
        self._slots = asyncio.Semaphore(max(1, settings.consumer_concurrency))
        self._buffered = 0  # records taken and not finished (or dropped), over all lanes
        self._progress = asyncio.Event()  # a lane finished a record
        self._committing = asyncio.Lock()  # one commit at a time (see Committing)
        self._committed_at = float("-inf")  # when the last commit went out (monotonic)
        # Given up in a rebalance that has not finished: records of these still fetched
        # under the old assignment must not be applied (the next owner starts after the commit).
        self._revoked: set[TopicPartition] = set()
        self.healthy = False
        self.handled = 0
        self.duplicates = 0
        self.dead_lettered = 0

    @property
    def topics(self) -> list[str]:
        return list(self._topics)

    async def stop(self) -> None:
        self._stopping.set()
        self._halt(set(self._trackers))
        self._progress.set()

    def assignment(self) -> list[str]:
        """The partitions this instance owns now, as `topic:partition`."""
        if self._consumer is None:
            return []
        return sorted(f"{tp.topic}:{tp.partition}" for tp in self._consumer.assignment())

    def stuck(self) -> dict[str, float]:
        """Seconds each partition has been held on one offset by failures, as `topic:partition`."""
        now = time.monotonic()
        since: dict[TopicPartition, float] = {}
        for lane in self._lanes.values():
            if lane.stuck_since is not None:
                since[lane.tp] = min(since.get(lane.tp, lane.stuck_since), lane.stuck_since)
        return {f"{tp.topic}:{tp.partition}": round(now - t, 1) for tp, t in sorted(since.items())}

    async def lag(self) -> dict[tuple[str, int], int]:
        """Messages between this instance's position and the high watermark, per owned
        partition whose high watermark is known (it is learnt from fetches)."""
        if self._consumer is None:
            return {}
        out: dict[tuple[str, int], int] = {}
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            if high is None:
                continue
            tracker = self._trackers.get(tp)
            position = tracker.position if tracker is not None else None
            if position is None:
                try:
                    position = await asyncio.wait_for(self._consumer.position(tp), timeout=1.0)
                except Exception:  # resetting or just revoked: not known at this moment
                    continue
            out[(tp.topic, tp.partition)] = max(high - position, 0)
        return out

    async def run(self) -> None:
        if not self._topics:
            return
        s = self._settings
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=s.kafka_bootstrap,
            group_id=s.group_id,
            group_instance_id=s.group_instance_id,
            session_timeout_ms=s.consumer_session_timeout_ms,
            client_id=f"{s.service_name}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=_MAX_BUFFERED,
        )
        self._consumer.subscribe(self._topics, listener=_Rebalance(self))
        await self._start_with_retry()
        try:
            while not self._stopping.is_set():
                await self._room()
                if self._stopping.is_set():
                    break
                try:
                    batch = await self._consumer.getmany(timeout_ms=200, max_records=_MAX_BUFFERED - self._buffered)
                except KafkaError as exc:
                    self.healthy = False
                    log.warning("consumer: fetch failed: %s", exc)
                    await self._idle(1.0)
                    continue
                self.healthy = True
                if self._stopping.is_set():
                    break
                self._dispatch(batch)
                await self._commit_applied()
        except _Stopping:
            pass
        finally:
            # Shutdown: the lanes stop between records at their fence; what they applied is committed.
            await self._drain(set(self._trackers))
            await self._commit_applied()
            try:
                await self._consumer.stop()
            except Exception as exc:  # leaving the group is best effort
                log.warning("consumer: stop: %s", exc)
            self.healthy = False

    async def _start_with_retry(self) -> None:
        backoff = 0.2
        while True:
            try:
                await self._consumer.start()
                return
            except KafkaError as exc:
                log.warning("consumer: cannot reach Kafka (%s); retrying in %.1fs", exc, backoff)
                await self._idle(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _idle(self, seconds: float) -> None:
        """Wait, unless the service stops first (then raise _Stopping)."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            return
        raise _Stopping()

    async def _room(self) -> None:
        """Hold the next fetch while `_MAX_BUFFERED` records are taken and not finished."""
        while self._buffered >= _MAX_BUFFERED and not self._stopping.is_set():
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), timeout=0.2)
            except asyncio.TimeoutError:
                pass
            await self._commit_applied()

    def _dispatch(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """Hand each fetched record to its lane (partition, key), starting lanes as needed."""
        for tp, records in batch.items():
            if tp in self._revoked:
                continue
            tracker = self._trackers.setdefault(tp, _OffsetTracker())
            for record in records:
                if not tracker.take(record.offset):
                    continue
                lane = self._lanes.get((tp, record.key))
                # A halted lane still here outlived a drain (its record took longer than the
                # timeout) and will not take more: the partition came back, a new lane takes over.
                if lane is None or lane.halt.is_set():
                    lane = self._lanes[(tp, record.key)] = _Lane(tp, record.key, tracker)
                    lane.task = asyncio.create_task(self._run_lane(lane), name=f"lane {tp.topic}:{tp.partition}")
                lane.records.append(record)
                self._buffered += 1

    async def _run_lane(self, lane: _Lane) -> None:
        try:
            while lane.records and lane.may_apply(lane.records[0]):
                record = lane.records[0]
                async with self._slots:
                    if not lane.may_apply(record):  # halted while waiting for a slot
                        break
                    lane.tracker.start(record.offset)
                    try:
                        await self._process(record, lane)
                    except _Stopping:
                        break
                lane.records.popleft()
                self._buffered -= 1
                lane.tracker.finish(record.offset)
                self._progress.set()
        finally:
            # Halted: the records not applied are dropped (re-read from the commit by whoever owns
            # the partition next). The lane leaves in the same step it found nothing more to do,
            # so the dispatcher never appends to a lane that has ended.
            self._buffered -= len(lane.records)
            lane.records.clear()
            if self._lanes.get((lane.tp, lane.key)) is lane:
                del self._lanes[(lane.tp, lane.key)]
            lane.done.set()
            self._progress.set()

    def _halt(self, tps: set[TopicPartition]) -> list[_Lane]:
        """Stop the lanes of `tps` between records at their partition's fence; return them."""
        lanes = [lane for lane in self._lanes.values() if lane.tp in tps]
        for lane in lanes:
            if not lane.halt.is_set():
                lane.fence = lane.tracker.highest_started
                lane.halt.set()
        return lanes

    async def _drain(self, tps: set[TopicPartition]) -> None:
        lanes = self._halt(tps)
        if lanes:
            await asyncio.wait([asyncio.ensure_future(lane.done.wait()) for lane in lanes], timeout=_DRAIN_TIMEOUT)

    async def _give_up(self, revoked: set[TopicPartition]) -> None:
        """Rebalance: drain the revoked partitions' lanes, then commit what they applied."""
        self._revoked |= revoked
        await self._drain(revoked)
        await self._commit_applied(only=revoked)
        for tp in revoked:
            self._trackers.pop(tp, None)

    async def _commit_applied(self, only: Iterable[TopicPartition] | None = None) -> None:
        if self._consumer is None:
            return
        routine = only is None and not self._stopping.is_set()
        if routine and time.monotonic() - self._committed_at < self._settings.consumer_commit_interval:
            return  # the next round commits it (see Committing)
        # Offsets read under the lock: a commit waiting for its turn sends what is applied by then,
        # never an older position than the commit before it.
        async with self._committing:
            owned = self._consumer.assignment()
            wanted = set(self._trackers) if only is None else set(only) & set(self._trackers)
            now = time.monotonic()
            offsets = {tp: self._trackers[tp].to_commit(now) for tp in wanted if tp in owned}
            offsets = {tp: o for tp, o in offsets.items() if o is not None}
            if not offsets:
                return
            self._committed_at = now
            try:
                await self._consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})
            except KafkaError as exc:
                # The next owner re-reads from the last commit; the inbox makes that harmless.
                log.warning("consumer: offset commit failed (%s); events will be re-read and deduplicated", exc)
                return
            for tp, o in offsets.items():
                tracker = self._trackers.get(tp)
                if tracker is not None:
                    tracker.committed, tracker.committed_at = o, now

    async def _pause(self, seconds: float, lane: _Lane) -> None:
        """Back off in a retry loop, unless the partition is let go first (raise _Stopping)."""
        try:
            await asyncio.wait_for(lane.halt.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            return
        raise _Stopping()

    async def _process(self, record: ConsumerRecord, lane: _Lane) -> None:
        backoff = self._settings.retry_backoff_initial
        try:
            while True:
                try:
                    await self._deliver(record, lane)
                    return
                except _Stopping:
                    raise
                except Exception as exc:  # a defect of ours: surface it, never kill the consumer
                    log.exception("consumer: unexpected %s on %s[%d]@%d; retrying in %.1fs", type(exc).__name__,
                                  record.topic, record.partition, record.offset, backoff)
                    lane.failing()
                    await self._pause(backoff, lane)
                    backoff = min(backoff * 2, self._settings.retry_backoff_max)
        finally:
            lane.stuck_since = None

    async def _deliver(self, record: ConsumerRecord, lane: _Lane) -> None:
        try:
            envelope = Envelope.from_bytes(record.value)
            event = parse_body(envelope)
        except (ValidationError, UnknownEvent, ValueError, TypeError) as exc:
            await self._dead_letter(record, exc, 1, lane)
            return
        handler = self._handlers.get(envelope.event_type)
        if handler is None:
            return
        attempts = 0
        backoff = self._settings.retry_backoff_initial
        while True:
            span_ctx = context_from_headers(record.headers or [])
            with tracer().start_as_current_span(
                f"{envelope.event_type} process",
                context=span_ctx,
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": record.topic,
                    "messaging.kafka.partition": record.partition,
                    "messaging.kafka.offset": record.offset,
                    "messaging.consumer.group.name": self._settings.group_id,
                    "messaging.message.id": str(envelope.event_id),
                    "batchflow.correlation_id": envelope.correlation_id,
                },
            ):
                try:
                    await self._apply(record, envelope, event, handler)
                    return
                except DomainRejection as exc:
                    await self._dead_letter(record, exc, attempts + 1, lane, event_type=envelope.event_type)
                    return
                except Exception as exc:
                    failing_since = lane.failing()
                    if is_bad_value(exc):
                        # A value the database refuses (NUL character...) will be refused again.
                        await self._dead_letter(record, exc, attempts + 1, lane, event_type=envelope.event_type)
                        return
                    if is_transient(exc):
                        stuck_for = time.monotonic() - failing_since
                        if stuck_for >= self._settings.stuck_dead_letter_after and await self._database_answers():
                            note = f"stuck {stuck_for:.0f}s on a transient error while the database answers"
                            await self._dead_letter(record, exc, attempts + 1, lane, note, envelope.event_type)
                            return
                        log.warning("consumer: transient failure on %s@%s: %s; retrying in %.1fs",
                                    record.topic, record.offset, exc, backoff)
                        self._metrics.events.labels(envelope.event_type, "retried").inc()
                    else:
                        attempts += 1
                        if attempts >= self._settings.max_attempts:
                            await self._dead_letter(record, exc, attempts, lane, event_type=envelope.event_type)
                            return
                        log.warning("consumer: %s on %s@%s (attempt %d/%d): %s", type(exc).__name__,
                                    record.topic, record.offset, attempts, self._settings.max_attempts, exc)
                        self._metrics.events.labels(envelope.event_type, "retried").inc()
            await self._pause(backoff, lane)
            backoff = min(backoff * 2, self._settings.retry_backoff_max)

    async def _database_answers(self) -> bool:
        """Whether the service's database answers now: then a 'transient' error that keeps
        coming back is the message's own."""
        try:
            async with self._uow.sessions() as session:
                await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=2.0)
            return True
        except Exception:
            return False

    async def _apply(self, record: ConsumerRecord, envelope: Envelope, event: Event, handler: Handler) -> None:
        started = time.perf_counter()
        lock_key = _lock_key(handler)
        lock = lock_key(event) if lock_key is not None else None
        async with self._uow.handling(envelope) as ctx:
            claimed = await ctx.session.execute(
                _CLAIM if lock is None else _CLAIM_SERIALIZED,
                {
                    "consumer": self._settings.group_id,
                    "event_id": envelope.event_id,
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "correlation_id": envelope.correlation_id,
                    "traceparent": _header(record, "traceparent"),
                    **({} if lock is None else {"lock": lock}),
                },
            )
            if lock is not None:
                ctx.holds(lock)
            if claimed.rowcount == 0:
                self.duplicates += 1
                self._metrics.events.labels(envelope.event_type, "duplicate").inc()
                return
            await handler(ctx, event)
        self.handled += 1
        self._metrics.events.labels(envelope.event_type, "applied").inc()
        self._metrics.handler_seconds.labels(envelope.event_type).observe(time.perf_counter() - started)

    async def _dead_letter(self, record: ConsumerRecord, exc: BaseException, attempts: int, lane: _Lane,
                           note: str | None = None, event_type: str | None = None) -> None:
        reason = (f"{note}: " if note else "") + f"{type(exc).__name__}: {exc}"
        reason = reason[:2000]
        log.error("consumer: dead-lettering %s[%d]@%d after %d attempt(s): %s",
                  record.topic, record.partition, record.offset, attempts, reason)
        headers = list(record.headers or []) + [
            ("dlt.original.topic", record.topic.encode()),
            ("dlt.original.partition", str(record.partition).encode()),
            ("dlt.original.offset", str(record.offset).encode()),
            ("dlt.consumer.group", self._settings.group_id.encode()),
            ("dlt.error.type", type(exc).__name__.encode()),
            ("dlt.error.message", reason.encode()),
            ("dlt.error.stacktrace", "".join(traceback.format_exception(exc))[-4000:].encode()),
            ("dlt.attempts", str(attempts).encode()),
            ("dlt.failed_at", datetime.now(timezone.utc).isoformat().encode()),
        ]
        backoff = 0.2
        while True:
            try:
                # By key, like the original: the DLT may have fewer partitions than its topic.
                await self._producer.send_and_wait(f"{record.topic}.dlt", record.value, key=record.key, headers=headers)
                self.dead_lettered += 1
                # Undecoded, the header copy may still name the type.
                event_type = event_type or _header(record, "event_type") or "undecodable"
                self._metrics.events.labels(event_type, "dead_lettered").inc()
                self._metrics.dead_letters.labels(record.topic).inc()
                return
            except Exception as exc2:  # whatever it is, the offset must not move past an unstored dead letter
                lane.failing()
                log.warning("consumer: dead-letter publish to %s.dlt failed (%s: %s); retrying in %.1fs",
                            record.topic, type(exc2).__name__, exc2, backoff)
                await self._pause(backoff, lane)
                backoff = min(backoff * 2, 5.0)
