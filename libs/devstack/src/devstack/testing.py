"""The shared, domain-free mechanics of the services' integration tests.

In-process, without Kafka: a migrated database and a `Runtime` for a service (`runtime`), its
API over ASGI (`asgi_client`), an event handed to a handler the way the consumer does it
(`deliver_via_inbox`: inbox claim + handler in one transaction; `deliver_to_handler`: the
handler's transaction alone), the outbox read back as envelopes (`read_outbox`), and a
background job run for the length of a block (`in_background`).

On the devstack's Kafka: a service's `build(settings).serve()` run in-process under the
stack's topic prefix (`kafka_settings`, `serving`), an event published as its producer's
relay would (`publish`), topics read until what a test waits for is there (`read_until`), and
whether a consumer group has caught up (`group_caught_up`).

What a service's events, tables or endpoints mean stays in that service's own test kit.
Nothing here does I/O at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord
from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.events import Event
from contracts.topics import topic_for
from devstack._util import free_port
from devstack.waiting import poll
from eventkit import EventConsumer, Handler, Runtime, ServiceSettings, UnitOfWork
from eventkit.db import make_engine, make_sessions
from eventkit.migrate import migrate
from eventkit.topic_reader import read_to_end

__all__ = [
    "OutboxRow",
    "asgi_client",
    "build_runtime",
    "deliver_to_handler",
    "deliver_via_inbox",
    "envelope_for",
    "free_port",
    "group_caught_up",
    "in_background",
    "kafka_settings",
    "publish",
    "query_rows",
    "query_scalar",
    "read_outbox",
    "read_until",
    "runtime",
    "serving",
]


# -- a service on its own database, no Kafka ---------------------------------------------------
def build_runtime(settings: ServiceSettings, service: str, handlers: dict[type[Event], Handler] | None = None,
                  pool_size: int = 5) -> Runtime:
    """A Runtime on `settings.database_url` with no producer, relay or Kafka consumer. Given
    `handlers`, it carries an EventConsumer (no producer) for `deliver_via_inbox`."""
    engine = make_engine(settings.database_url, pool_size=pool_size)
    uow = UnitOfWork(make_sessions(engine), service)
    consumer = None if handlers is None else EventConsumer(settings, uow, handlers, producer=None)
    return Runtime(settings, engine, uow, producer=None, relay=None, consumer=consumer)


@contextlib.asynccontextmanager
async def runtime(settings: ServiceSettings, migrations: Path | None, service: str,
                  handlers: dict[type[Event], Handler] | None = None, pool_size: int = 5) -> AsyncIterator[Runtime]:
    """Migrate `settings.database_url` and yield `build_runtime(...)`; its engine is disposed after."""
    await migrate(str(settings.database_url), migrations)
    rt = build_runtime(settings, service, handlers, pool_size)
    try:
        yield rt
    finally:
        await rt.engine.dispose()


def asgi_client(app, base_url: str) -> httpx.AsyncClient:
    """An HTTP client talking to `app` in-process (no socket); use it with `async with`."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=base_url)


# -- events in ---------------------------------------------------------------------------------
def envelope_for(event: Event, event_id: uuid.UUID | None = None, occurred_at: datetime | None = None) -> Envelope:
    """The envelope the event's producing service would put on its topic (keyed and
    correlated by `event.key()`); a fresh event id and now unless given."""
    given: dict[str, Any] = {"event_id": event_id, "occurred_at": occurred_at}
    return Envelope(
        event_type=event.event_type, version=event.version, producer=topic_for(event).producer,
        correlation_id=event.key(), data=event.model_dump(mode="json"),
        **{k: v for k, v in given.items() if v is not None},
    )


async def deliver_via_inbox(consumer: EventConsumer, event: Event, event_id: uuid.UUID | None = None,
                            occurred_at: datetime | None = None) -> Envelope:
    """One Kafka delivery as `consumer` applies it: inbox claim, then its handler for the
    event, in one transaction. A repeated event id is skipped by the inbox."""
    envelope = envelope_for(event, event_id, occurred_at)
    record = ConsumerRecord(topic_for(event).name, 0, 0, 0, 0, event.key().encode(), envelope.to_bytes(), None, 0, 0, [])
    await consumer._apply(record, envelope, event, consumer._handlers[event.event_type])
    return envelope


async def deliver_to_handler(uow: UnitOfWork, handler: Callable[..., Coroutine], event: Event,
                             event_id: uuid.UUID | None = None, **handler_kwargs) -> Envelope:
    """Run `handler(ctx, event, **handler_kwargs)` in the transaction the consumer opens for
    a message, without the inbox: a repeated event id is handled again (state guards only)."""
    envelope = envelope_for(event, event_id)
    async with uow.handling(envelope) as ctx:
        await handler(ctx, event, **handler_kwargs)
    return envelope


# -- what the service wrote --------------------------------------------------------------------
class OutboxRow(NamedTuple):
    topic: str
    key: str
    envelope: Envelope
    headers: dict[str, str]


async def read_outbox(uow: UnitOfWork, event_type: str | None = None) -> list[OutboxRow]:
    """The outbox rows (of `event_type`, if given), oldest first, as the relay would publish them."""
    async with uow.sessions() as session:
        rows = (await session.execute(text("SELECT topic, key, payload, headers FROM outbox ORDER BY id"))).all()
    found = [OutboxRow(r.topic, r.key, Envelope.from_bytes(bytes(r.payload)),
                       r.headers if isinstance(r.headers, dict) else json.loads(r.headers)) for r in rows]
    return [r for r in found if event_type is None or r.envelope.event_type == event_type]


async def query_scalar(uow: UnitOfWork, sql: str, **params):
    """The first column of the first row of `sql` (None if no row)."""
    async with uow.sessions() as session:
        return (await session.execute(text(sql), params)).scalar()


async def query_rows(uow: UnitOfWork, sql: str, **params) -> list[dict]:
    async with uow.sessions() as session:
        return [dict(r._mapping) for r in await session.execute(text(sql), params)]


@contextlib.asynccontextmanager
async def in_background(job: Coroutine) -> AsyncIterator[asyncio.Task]:
    """Run `job` (a service's background loop) as a task for the block; cancelled after."""
    task = asyncio.create_task(job)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# -- the service as it runs, on the devstack's Kafka ---------------------------------------------
def kafka_settings(stack, database_url: str, service: str, **overrides) -> dict:
    """Settings fields for running `service` on `stack`: its topic prefix, a consumer group of
    its own (earlier tests' messages do not hold it up), a free HTTP port, a quick relay."""
    fields = dict(
        database_url=str(database_url), kafka_bootstrap=stack.bootstrap, topic_prefix=stack.topic_prefix,
        consumer_group=f"{service}-test-{uuid.uuid4().hex[:8]}", http_port=free_port(), relay_poll_interval=0.2,
    )
    return {**fields, **overrides}


@contextlib.asynccontextmanager
async def serving(build: Callable, *settings: ServiceSettings, ready_deadline: float = 60.0,
                  stop_deadline: float = 30.0) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Run `build(s).serve()` in this event loop for each of `settings` (instances of one
    service, e.g. in one consumer group); yield an HTTP client per instance once all are
    ready; then stop them all and wait for them to finish."""
    services = [build(s) for s in settings]
    tasks = [asyncio.create_task(svc.serve()) for svc in services]
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{s.http_port}") for s in settings]
    try:
        for http in clients:
            async def ready(http=http):
                with contextlib.suppress(httpx.TransportError):
                    return (await http.get("/health/ready")).status_code == 200
            await poll(ready, ready_deadline, interval=0.2, what=f"{http.base_url} to be ready")
        yield clients
    finally:
        for svc in services:
            svc.request_stop()
        await asyncio.wait_for(asyncio.gather(*tasks), stop_deadline)
        for http in clients:
            await http.aclose()


async def publish(stack, event: Event, event_id: uuid.UUID | None = None, times: int = 1) -> Envelope:
    """Put `event` on its topic (keyed by `event.key()`) the way its producer's relay would;
    `times` > 1 sends the same envelope again, as a redelivery would."""
    envelope = envelope_for(event, event_id)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()
    try:
        for _ in range(times):
            await producer.send_and_wait(stack.topic(topic_for(event).name), envelope.to_bytes(), key=event.key().encode())
    finally:
        await producer.stop()
    return envelope


async def read_until(stack, event_types: Iterable[str], keys: Iterable[str],
                     enough: Callable[[list[Envelope]], bool] = bool, deadline: float = 30.0) -> list[Envelope]:
    """Read the topics of `event_types` from the beginning, again and again, until `enough`
    holds for the envelopes there keyed by one of `keys` (whatever their type); return those
    envelopes (in log order per partition). Fails the test at the deadline."""
    names = [stack.topic(topic_for(t).name) for t in event_types]
    wanted = {k.encode() for k in keys}

    async def found():
        records = await read_to_end(stack.bootstrap, names)
        envelopes = [Envelope.from_bytes(r.value) for r in records if r.key in wanted]
        return envelopes if enough(envelopes) else None

    return await poll(found, deadline, interval=0.2, what=f"{sorted(wanted)} on {names}")


async def group_caught_up(stack, group: str, topic: str) -> bool:
    """True when consumer `group` has committed the end of every non-empty partition of the
    registry `topic` (so it has applied everything published there so far)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap)
    await admin.start()
    await probe.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        name = stack.topic(topic)
        (described,) = await admin.describe_topics([name])
        partitions = [TopicPartition(name, p["partition"]) for p in described["partitions"]]
        if not partitions:
            return False
        ends = await probe.end_offsets(partitions)
        return all(committed.get(tp) is not None and committed[tp].offset >= end for tp, end in ends.items() if end > 0)
    finally:
        await probe.stop()
        await admin.close()
