"""Idempotent, at-least-once consumption with retries and dead-lettering: the delivery contract.

Applying: per message, decode the envelope and body; in one database transaction insert the
inbox row (consumer group, event_id) and run the handler; commit. A duplicate inbox row
means the event was already applied: nothing happens. Partitions of a fetched batch are
processed concurrently, each in offset order.

Committing: an offset is committed to Kafka only after the transactions of every message up
to it committed, one commit per fetched batch (a commit is a broker round trip), and only
for partitions this instance still owns (a commit naming a lost partition would be refused
whole, taking the owned ones down with it).

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

Rebalancing: before a partition is given up, its in-flight work is drained (it stops between
records, the record being applied finishes) and what was applied is committed, so the next
owner starts exactly after it and nothing is applied by two owners at once. With
`instance_id` set, the member is static (`group_instance_id`): a restart within the
session timeout gets its partitions back without stopping the rest of the group.

Observability: every outcome (applied, duplicate, dead_lettered, retried) is counted per
event type in the service's metrics, applied events with their handler latency; `lag()`
tells how far each owned partition is behind its high watermark.

Shutdown: stops between records (and out of any retry wait), commits what was applied,
then leaves. A crash instead of a shutdown re-reads from the last commit; the inbox makes
that harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
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

# How long a revoked partition's record in flight may take to finish before the partition is
# given up anyway (its record is then re-read by the next owner and deduplicated).
_DRAIN_TIMEOUT = 30.0


def _header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or []:
        if key == name and value is not None:
            return value.decode("utf-8", "replace")
    return None


class _Stopping(Exception):
    """Raised inside a retry loop when the partition must be let go (shutdown, revoked):
    leave the message unapplied."""


@dataclass
class _Lane:
    """One partition's share of the batch being processed."""

    tp: TopicPartition
    halt: asyncio.Event = field(default_factory=asyncio.Event)  # stop between records
    done: asyncio.Event = field(default_factory=asyncio.Event)


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
        self._lanes: dict[TopicPartition, _Lane] = {}
        self._applied: dict[TopicPartition, int] = {}  # next offset to commit, per partition
        self._stuck_since: dict[TopicPartition, float] = {}
        # Next offset after the last record this instance finished with, per partition: the
        # position lag is measured from (the fetch position runs ahead by the batch in flight).
        self._finished: dict[TopicPartition, int] = {}
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
        for lane in list(self._lanes.values()):
            lane.halt.set()

    def assignment(self) -> list[str]:
        """The partitions this instance owns now, as `topic:partition`."""
        if self._consumer is None:
            return []
        return sorted(f"{tp.topic}:{tp.partition}" for tp in self._consumer.assignment())

    def stuck(self) -> dict[str, float]:
        """Seconds each partition has been held on one offset by failures, as `topic:partition`."""
        now = time.monotonic()
        return {f"{tp.topic}:{tp.partition}": round(now - t, 1) for tp, t in sorted(self._stuck_since.items())}

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
            position = self._finished.get(tp)
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
            client_id=f"{s.service_name}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
        )
        self._consumer.subscribe(self._topics, listener=_Rebalance(self))
        await self._start_with_retry()
        try:
            while not self._stopping.is_set():
                try:
                    batch = await self._consumer.getmany(timeout_ms=200)
                except KafkaError as exc:
                    self.healthy = False
                    log.warning("consumer: fetch failed: %s", exc)
                    await self._idle(1.0)
                    continue
                self.healthy = True
                if batch:
                    await self._process_batch(batch)
                    await self._commit_applied()
        except _Stopping:
            pass
        finally:
            # Shutdown: the lanes stopped between records; what they applied is committed.
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

    async def _process_batch(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        batch = {tp: records for tp, records in batch.items() if tp not in self._revoked}
        lanes = {tp: _Lane(tp) for tp in batch}
        if self._stopping.is_set():
            return
        self._lanes = lanes
        try:
            await asyncio.gather(*(self._run_lane(lanes[tp], records) for tp, records in batch.items()))
        finally:
            self._lanes = {}

    async def _run_lane(self, lane: _Lane, records: list[ConsumerRecord]) -> None:
        try:
            for record in records:
                if lane.halt.is_set():
                    break
                try:
                    await self._process(record, lane)
                except _Stopping:
                    break
                except Exception as exc:  # a defect of ours: surface it, never kill the consumer
                    log.exception("consumer: unexpected %s on %s[%d]@%d; will re-read it",
                                  type(exc).__name__, record.topic, record.partition, record.offset)
                    self._stuck_since.setdefault(lane.tp, time.monotonic())
                    self._rewind(lane.tp, record.offset)
                    break
                self._applied[lane.tp] = record.offset + 1
                self._finished[lane.tp] = record.offset + 1
        finally:
            lane.done.set()

    def _rewind(self, tp: TopicPartition, offset: int) -> None:
        """Fetch `tp` again from `offset`: the records after it in this batch are dropped."""
        if tp in self._consumer.assignment():
            self._consumer.seek(tp, offset)

    async def _give_up(self, revoked: set[TopicPartition]) -> None:
        """Rebalance: drain the revoked partitions' lanes, then commit what they applied."""
        self._revoked |= revoked
        lanes = [lane for tp, lane in self._lanes.items() if tp in revoked]
        for lane in lanes:
            lane.halt.set()
        if lanes:
            await asyncio.wait([asyncio.ensure_future(lane.done.wait()) for lane in lanes], timeout=_DRAIN_TIMEOUT)
        await self._commit_applied(only=revoked)
        for tp in revoked:
            self._stuck_since.pop(tp, None)
            self._finished.pop(tp, None)

    async def _commit_applied(self, only: Iterable[TopicPartition] | None = None) -> None:
        if self._consumer is None:
            return
        owned = self._consumer.assignment()
        wanted = set(self._applied) if only is None else set(only) & set(self._applied)
        offsets = {tp: OffsetAndMetadata(self._applied.pop(tp), "") for tp in wanted}
        offsets = {tp: o for tp, o in offsets.items() if tp in owned}
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except KafkaError as exc:
            # The next owner re-reads from the last commit; the inbox makes that harmless.
            log.warning("consumer: offset commit failed (%s); events will be re-read and deduplicated", exc)

    async def _pause(self, seconds: float, lane: _Lane) -> None:
        """Back off in a retry loop, unless the partition is let go first (raise _Stopping)."""
        try:
            await asyncio.wait_for(lane.halt.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            return
        raise _Stopping()

    async def _process(self, record: ConsumerRecord, lane: _Lane) -> None:
        try:
            await self._deliver(record, lane)
        finally:
            self._stuck_since.pop(lane.tp, None)

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
                    failing_since = self._stuck_since.setdefault(lane.tp, time.monotonic())
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
        async with self._uow.handling(envelope) as ctx:
            claimed = await ctx.session.execute(
                _CLAIM,
                {
                    "consumer": self._settings.group_id,
                    "event_id": envelope.event_id,
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "correlation_id": envelope.correlation_id,
                    "traceparent": _header(record, "traceparent"),
                },
            )
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
                self._stuck_since.setdefault(lane.tp, time.monotonic())
                log.warning("consumer: dead-letter publish to %s.dlt failed (%s: %s); retrying in %.1fs",
                            record.topic, type(exc2).__name__, exc2, backoff)
                await self._pause(backoff, lane)
                backoff = min(backoff * 2, 5.0)
