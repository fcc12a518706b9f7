"""Idempotent, at-least-once consumption with retries and dead-lettering.

Per message: decode the envelope and body; in one database transaction insert the inbox row
(consumer group, event_id) and run the handler; commit. A duplicate inbox row means the event
was already applied: nothing happens. Offsets are committed to Kafka only after the
transactions of every message up to them committed, one commit per fetched batch (a commit
is a broker round trip). Partitions of a batch are processed concurrently, each in order.

Failures: infrastructure errors (database down...) are retried with backoff for as long as
they last and the offset does not move; any other error is retried `max_attempts` times and
then the message goes to `<topic>.dlt` with the reason in its headers; a message that can
never be decoded, or a `DomainRejection`, goes there at once. The partition keeps flowing.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata
from opentelemetry import trace
from pydantic import ValidationError
from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.events import Event
from contracts.topics import UnknownEvent, parse_body, qualified, topic_for
from eventkit.errors import DomainRejection, is_bad_value, is_transient
from eventkit.settings import ServiceSettings
from eventkit.tracing import context_from_headers, tracer
from eventkit.unit_of_work import Context, UnitOfWork

log = logging.getLogger("eventkit.consumer")

Handler = Callable[[Context, Event], Awaitable[None]]

_CLAIM = text(
    'INSERT INTO inbox (consumer, event_id, topic, partition, "offset", correlation_id, traceparent) '
    "VALUES (:consumer, :event_id, :topic, :partition, :offset, :correlation_id, :traceparent) ON CONFLICT DO NOTHING"
)


def _header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or []:
        if key == name and value is not None:
            return value.decode("utf-8", "replace")
    return None


class _Stopping(Exception):
    """Raised inside a retry loop when the service shuts down: leave the message unapplied."""


class EventConsumer:
    def __init__(
        self,
        settings: ServiceSettings,
        uow: UnitOfWork,
        handlers: dict[type[Event], Handler],
        producer: AIOKafkaProducer,
    ):
        self._settings = settings
        self._uow = uow
        self._handlers = {cls.event_type: h for cls, h in handlers.items()}
        self._topics = sorted({qualified(topic_for(cls).name, settings.topic_prefix) for cls in handlers})
        self._producer = producer
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self.healthy = False
        self.handled = 0
        self.duplicates = 0
        self.dead_lettered = 0

    @property
    def topics(self) -> list[str]:
        return list(self._topics)

    async def stop(self) -> None:
        self._stopping.set()

    def assignment(self) -> list[str]:
        """The partitions this instance owns now, as `topic:partition`."""
        if self._consumer is None:
            return []
        return sorted(f"{tp.topic}:{tp.partition}" for tp in self._consumer.assignment())

    async def run(self) -> None:
        if not self._topics:
            return
        self._consumer = AIOKafkaConsumer(
            *self._topics,
            bootstrap_servers=self._settings.kafka_bootstrap,
            group_id=self._settings.group_id,
            client_id=f"{self._settings.service_name}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
        )
        await self._start_with_retry()
        try:
            while not self._stopping.is_set():
                try:
                    batch = await self._consumer.getmany(timeout_ms=200)
                except KafkaError as exc:
                    self.healthy = False
                    log.warning("consumer: fetch failed: %s", exc)
                    await self._pause(1.0)
                    continue
                self.healthy = True
                if not batch:
                    continue
                done = await asyncio.gather(*(self._process_partition(tp, recs) for tp, recs in batch.items()))
                offsets = {tp: OffsetAndMetadata(nxt, "") for tp, nxt in done if nxt is not None}
                # A partition cut short by shutdown commits only what was applied; the rest is
                # read again by whoever owns the partition next.
                await self._commit(offsets)
        finally:
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
                await self._pause(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # After a rebalance the new owner re-reads from the last commit; the inbox makes
            # that harmless.
            log.warning("consumer: offset commit failed (%s); events will be re-read and deduplicated", exc)

    async def _process_partition(self, tp: TopicPartition, records: list[ConsumerRecord]) -> tuple[TopicPartition, int | None]:
        next_offset = None
        for record in records:
            try:
                await self._process(record)
            except _Stopping:
                break
            next_offset = record.offset + 1
        return tp, next_offset

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            return
        raise _Stopping()

    async def _process(self, record: ConsumerRecord) -> None:
        try:
            envelope = Envelope.from_bytes(record.value)
            event = parse_body(envelope)
        except (ValidationError, UnknownEvent, ValueError, TypeError) as exc:
            await self._dead_letter(record, exc, attempts=1)
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
                    await self._dead_letter(record, exc, attempts=attempts + 1)
                    return
                except Exception as exc:
                    if is_bad_value(exc):
                        # A value the database refuses (NUL character...) will be refused again.
                        await self._dead_letter(record, exc, attempts=attempts + 1)
                        return
                    if is_transient(exc):
                        log.warning("consumer: transient failure on %s@%s: %s; retrying in %.1fs",
                                    record.topic, record.offset, exc, backoff)
                    else:
                        attempts += 1
                        if attempts >= self._settings.max_attempts:
                            await self._dead_letter(record, exc, attempts=attempts)
                            return
                        log.warning("consumer: %s on %s@%s (attempt %d/%d): %s", type(exc).__name__,
                                    record.topic, record.offset, attempts, self._settings.max_attempts, exc)
            await self._pause(backoff)
            backoff = min(backoff * 2, self._settings.retry_backoff_max)

    async def _apply(self, record: ConsumerRecord, envelope: Envelope, event: Event, handler: Handler) -> None:
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
                return
            await handler(ctx, event)
        self.handled += 1

    async def _dead_letter(self, record: ConsumerRecord, exc: BaseException, attempts: int) -> None:
        reason = f"{type(exc).__name__}: {exc}"[:2000]
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
                await self._producer.send_and_wait(
                    f"{record.topic}.dlt", record.value, key=record.key, headers=headers, partition=record.partition
                )
                self.dead_lettered += 1
                return
            except KafkaError as exc2:
                # Until the dead letter is safely stored the offset must not move past it.
                log.warning("consumer: dead-letter publish failed (%s); retrying", exc2)
                await self._pause(backoff)
                backoff = min(backoff * 2, 5.0)
