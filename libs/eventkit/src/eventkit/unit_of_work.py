"""The unit of work: one database transaction in which a command or an event handler changes
the service's state and writes the events it raises to the outbox.

`Context.emit` fills the envelope: correlation id (the saga: the order), causation id (the
event being handled) and the trace context, so the relay has nothing to decide. It also
holds a per-topic+key lock until the transaction ends, so events of one key commit in the
order they were emitted, whichever path emits them."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from collections.abc import AsyncIterator, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.envelope import Envelope
from contracts.events import Event
from contracts.topics import qualified, topic_for
from eventkit.tracing import context_from_headers, current_trace_headers, tracer
from opentelemetry import trace

_SAGA_TRACE = text(
    "SELECT traceparent FROM inbox WHERE correlation_id = :c AND traceparent IS NOT NULL "
    "ORDER BY processed_at DESC LIMIT 1"
)

# The transaction-scoped advisory lock on topic+key is taken before the row gets its id, so
# two transactions emitting for one key are serialized: the second one's row gets a higher id
# *and* commits after the first one's. Without it the relay, which publishes committed rows
# in id order, could publish the second before the first committed: a key out of order.
# Two transactions emitting for two keys in opposite orders can deadlock; PostgreSQL breaks
# it (SQLSTATE 40P01), which is transient: the handler is retried.
_INSERT_OUTBOX = text(
    "INSERT INTO outbox (event_id, topic, key, payload, headers) "
    "SELECT :event_id, :topic, :key, :payload, CAST(:headers AS jsonb) "
    "FROM (SELECT pg_advisory_xact_lock(hashtextextended(:topic || '/' || :key, 0))) AS emit_in_key_order"
)


# A transaction-scoped advisory lock named by text: what a service serializes on (one order,
# one plan) without a row to lock. Released by COMMIT or ROLLBACK.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_LOCK_SHARED = text("SELECT pg_advisory_xact_lock_shared(hashtextextended(:key, 0))")


class Context:
    """What a handler or command works with: the transaction's session and a way to raise events."""

    def __init__(
        self,
        session: AsyncSession,
        producer: str,
        topic_prefix: str,
        envelope: Envelope | None = None,
        correlation_id: str | None = None,
    ):
        self.session = session
        self.envelope = envelope
        self._producer = producer
        self._prefix = topic_prefix
        self.correlation_id = correlation_id or (envelope.correlation_id if envelope else None)
        self.emitted: list[Envelope] = []
        self._locked: dict[str, bool] = {}  # advisory locks held: key -> exclusive

    async def lock(self, key: str, shared: bool = False) -> None:
        """Hold the advisory lock named `key` until the transaction ends; `shared`: many
        transactions may hold it at once, none of them while one holds it exclusively. A lock
        this transaction holds already costs nothing (an exclusive one serves a shared request):
        a handler declared `serialized_by` the key got it with its inbox claim, in the same round trip."""
        if key in self._locked and (shared or self._locked[key]):
            return
        await self.session.execute(_LOCK_SHARED if shared else _LOCK, {"key": key})
        self._locked[key] = self._locked.get(key, False) or not shared

    def holds(self, key: str) -> None:
        """Record that the transaction took the exclusive lock `key` by other means (the inbox claim)."""
        self._locked[key] = True

    async def emit(self, event: Event, correlation_id: str | None = None) -> Envelope:
        envelope = Envelope(
            event_type=event.event_type,
            version=event.version,
            producer=self._producer,
            correlation_id=correlation_id or self.correlation_id or event.key(),
            causation_id=str(self.envelope.event_id) if self.envelope else None,
            data=event.model_dump(mode="json"),
        )
        headers = await self._trace_headers(envelope)
        # Copies of the envelope's identity in the Kafka headers let tools route and
        # deduplicate without parsing the value.
        headers["event_type"] = envelope.event_type
        headers["event_id"] = str(envelope.event_id)
        await self.session.execute(
            _INSERT_OUTBOX,
            {
                "event_id": envelope.event_id,
                "topic": qualified(topic_for(event).name, self._prefix),
                "key": event.key(),
                "payload": envelope.to_bytes(),
                "headers": json.dumps(headers),
            },
        )
        self.emitted.append(envelope)
        return envelope


    async def _trace_headers(self, envelope: Envelope) -> dict[str, str]:
        """A handler's events continue the trace of the event it handles. A command's events
        (an operator ships the order) continue the trace of their saga, when this service
        has handled an event of it, so that one order is one trace from end to end."""
        if self.envelope is None:
            found = await self.session.execute(_SAGA_TRACE, {"c": envelope.correlation_id})
            traceparent = found.scalar()
            if traceparent:
                command = trace.get_current_span().get_span_context()
                with tracer().start_as_current_span(
                    f"{envelope.event_type} emit",
                    context=context_from_headers({"traceparent": traceparent}),
                    links=[trace.Link(command)] if command.is_valid else None,
                ):
                    return current_trace_headers()
        return current_trace_headers()


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], producer: str, topic_prefix: str = "",
                 events_committed: Callable[[], None] | None = None):
        self.sessions = sessions
        self.producer = producer
        self.topic_prefix = topic_prefix
        # Called after a transaction that wrote outbox rows commits: this process's relay is
        # woken at once, not by the NOTIFY the commit also sends (that one reaches the relays
        # of other processes; here it comes 0.3-1 ms later).
        self.events_committed = events_committed

    @asynccontextmanager
    async def start(self, correlation_id: str | None = None, name: str = "command") -> AsyncIterator[Context]:
        """A command's transaction (HTTP request, timer): commits on normal exit, rolls back on error."""
        with tracer().start_as_current_span(f"{self.producer} {name}"):
            async with self.sessions() as session, session.begin():
                ctx = Context(session, self.producer, self.topic_prefix, correlation_id=correlation_id)
                yield ctx
        if ctx.emitted and self.events_committed is not None:
            self.events_committed()
            # A command goes on to build its response (reads, serialization) in this loop:
            # let the relay send its read of the outbox first, so the events' way to Kafka
            # runs beside that work instead of after it.
            await asyncio.sleep(0)

    @asynccontextmanager
    async def handling(self, envelope: Envelope) -> AsyncIterator[Context]:
        async with self.sessions() as session, session.begin():
            ctx = Context(session, self.producer, self.topic_prefix, envelope=envelope)
            yield ctx
        if ctx.emitted and self.events_committed is not None:
            self.events_committed()
