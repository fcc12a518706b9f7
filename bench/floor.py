"""The floor of the design, for the saga benchmark: what the infrastructure alone costs per
order in this saga's shape, with no business logic at all, measured on the same machine in
the same run.

The design fixes the shape of an order: every event a service consumes is applied in a
transaction of its own that also records it in the inbox (and writes what it emits to the
outbox), and every event travels through Kafka from one service's relay to another's
consumer. The saga benchmark counts that shape per order (transactions, events published,
deliveries applied, from pg_stat_statements). This module measures the two unit costs, as
machine CPU (/proc/stat busy time over the measurement, both sides of every socket included):

- a minimal event application: BEGIN; INSERT the inbox row; INSERT one outbox row; COMMIT,
  from eight connections at once, no handler: through asyncpg with prepared statements (the
  least Python can do), and through SQLAlchemy's AsyncSession as the services' unit of work
  does (the design card's persistence layer, sqlmodel, is built on it);
- an event through Kafka as the relay and the consumers carry it: sent by an idempotent
  acks=all producer in the small groups a relay finds at a steady rate, and read by a consumer
  group member that commits its offsets at most once a second (as eventkit's consumer does).

floor = deliveries per order x the first + events per order x the second: a lower bound (no
statement beyond the inbox and outbox rows, no HTTP call, no relay read or mark, no handler).
Set against the issue's targets it says which are out of reach in this shape on this machine
whatever the handlers do, and how much of the measured cost is ours rather than the shape's.

The same for a hop's latency, with the machine at rest and one thing at a time, spaced as at a
low load (an idle VM's wake-ups are part of it): a NOTIFY reaching the relay, one statement's
round trip on an idle connection, and an event from an idempotent acks=all send (no linger, as
the relays send) to its acknowledgement and to a group member's fetch. The least a hop can
take: the NOTIFY, the relay's read, the event to the consumer, and the consuming transaction's
four round trips (BEGIN, inbox row, outbox row, COMMIT), before any business statement."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text

from cpu import snapshot
from eventkit.db import make_engine, make_sessions

_TABLES = """
CREATE TABLE IF NOT EXISTS inbox (consumer text NOT NULL, event_id uuid NOT NULL, topic text, partition int,
                                  "offset" bigint, PRIMARY KEY (consumer, event_id));
CREATE TABLE IF NOT EXISTS outbox (id bigserial PRIMARY KEY, event_id uuid NOT NULL, topic text NOT NULL,
                                   key text NOT NULL, payload jsonb NOT NULL, published_at timestamptz);
"""
_CLAIM = ('INSERT INTO inbox (consumer, event_id, topic, partition, "offset") VALUES ($1, $2, $3, $4, $5) '
          "ON CONFLICT DO NOTHING")
_EMIT = "INSERT INTO outbox (event_id, topic, key, payload) VALUES ($1, $2, $3, $4::jsonb)"
_PAYLOAD = '{"order_id": "%s", "lines": [{"line_no": 1, "sku": "BENCH-1", "quantity": "2", "unit": "pcs"}]}'
_CLAIM_ORM = text('INSERT INTO inbox (consumer, event_id, topic, partition, "offset") '
                  "VALUES (:c, :e, :t, :p, :o) ON CONFLICT DO NOTHING")
_EMIT_ORM = text("INSERT INTO outbox (event_id, topic, key, payload) VALUES (:e, :t, :k, CAST(:p AS jsonb))")


@dataclass
class Latency:
    """p50s at rest, milliseconds (see the module's docstring)."""

    notify_ms: float  # COMMIT of a NOTIFY -> the listener's callback
    round_trip_ms: float  # one statement on an idle connection
    kafka_ack_ms: float  # send -> acknowledgement
    kafka_delivery_ms: float  # send -> the consumer's fetch returns it

    def hop_ms(self) -> float:
        """The least a hop takes: NOTIFY, the relay's read, Kafka to the consumer, 4 round trips."""
        return self.notify_ms + self.round_trip_ms + self.kafka_delivery_ms + 4 * self.round_trip_ms


@dataclass
class Floor:
    transaction_ms: float  # machine CPU per minimal event application, asyncpg
    orm_transaction_ms: float  # the same through SQLAlchemy's AsyncSession
    event_ms: float  # machine CPU per event through Kafka
    latency: Latency

    def per_order(self, deliveries: float, events: float, orm: bool = False) -> float:
        return deliveries * (self.orm_transaction_ms if orm else self.transaction_ms) + events * self.event_ms


async def _create_tables(dsn: str) -> None:
    setup = await asyncpg.connect(dsn)
    try:
        await setup.execute(_TABLES)
    finally:
        await setup.close()


async def _machine_ms_each(n: int, work: Awaitable) -> float:
    """Machine CPU milliseconds per unit of `work` (n units), from /proc/stat's busy time."""
    before = snapshot({})
    await work
    return (snapshot({}) - before).busy / n * 1000


async def transaction_cost(dsn: str, n: int = 4000, connections: int = 8) -> float:
    """Machine CPU milliseconds per minimal event application (see the module's docstring)."""
    await _create_tables(dsn)
    conns = [await asyncpg.connect(dsn) for _ in range(connections)]
    todo = iter(range(n))

    async def worker(conn: asyncpg.Connection) -> None:
        claim, emit = await conn.prepare(_CLAIM), await conn.prepare(_EMIT)
        for i in todo:
            event_id = uuid.uuid4()
            async with conn.transaction():
                await claim.fetch("floor", event_id, "floor.OrderPlaced", i % 8, i)
                await emit.fetch(uuid.uuid4(), "floor.OrderAllocated", str(event_id), _PAYLOAD % event_id)

    try:
        return await _machine_ms_each(n, asyncio.gather(*(worker(c) for c in conns)))
    finally:
        for c in conns:
            await c.close()


async def orm_transaction_cost(dsn: str, url: str, n: int = 4000, connections: int = 8) -> float:
    """The same transaction through SQLAlchemy's AsyncSession, as eventkit's unit of work runs it."""
    await _create_tables(dsn)
    engine = make_engine(url, pool_size=connections)
    sessions = make_sessions(engine)
    todo = iter(range(n))

    async def worker() -> None:
        for i in todo:
            event_id = uuid.uuid4()
            async with sessions() as session, session.begin():
                await session.execute(_CLAIM_ORM, {"c": "floor-orm", "e": event_id, "t": "floor.OrderPlaced",
                                                   "p": i % 8, "o": i})
                await session.execute(_EMIT_ORM, {"e": uuid.uuid4(), "t": "floor.OrderAllocated", "k": str(event_id),
                                                  "p": _PAYLOAD % event_id})

    try:
        async with sessions() as warm:  # the pool's connections open before the clock starts
            await warm.execute(text("SELECT 1"))
        return await _machine_ms_each(n, asyncio.gather(*(worker() for _ in range(connections))))
    finally:
        await engine.dispose()


@asynccontextmanager
async def _topic(bootstrap: str, partitions: int) -> AsyncIterator[tuple[str, AIOKafkaProducer, AIOKafkaConsumer]]:
    """A throwaway topic, a producer as the relays' (idempotent, acks=all, no linger) and a
    consumer group member that commits by hand, already assigned; all gone afterwards."""
    topic = f"bench.floor.{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, partitions, 1)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=0)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"floor-{topic}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        await producer.start()
        await consumer.start()
        await consumer.getmany(timeout_ms=1000)  # joined and assigned before any clock starts
        yield topic, producer, consumer
    finally:
        await producer.stop()
        await consumer.stop()
        await admin.delete_topics([topic])
        await admin.close()


async def event_cost(bootstrap: str, n: int = 4000, group: int = 4, rate: float = 400.0) -> float:
    """Machine CPU milliseconds per event sent and consumed as the saga's relays and consumers
    do: groups of `group` events at `rate` events per second, read by a group member that
    commits at most once a second, and at the end."""
    async with _topic(bootstrap, 8) as (topic, producer, consumer):
        got = 0

        async def send_and_read() -> None:
            reader = asyncio.create_task(consume())
            t0 = time.monotonic()
            for start in range(0, n, group):
                await asyncio.sleep(max(0.0, t0 + start / rate - time.monotonic()))  # the relay's pace, not a wait
                acks = [await producer.send(topic, (_PAYLOAD % i).encode(), key=str(i % 64).encode())
                        for i in range(start, min(start + group, n))]
                await asyncio.gather(*acks)
            await asyncio.wait_for(reader, timeout=120)

        async def consume() -> None:
            nonlocal got
            committed_at = 0.0
            while got < n:
                batch = await consumer.getmany(timeout_ms=200)
                got += sum(len(recs) for recs in batch.values())
                if batch and time.monotonic() - committed_at >= 1.0:
                    committed_at = time.monotonic()
                    await consumer.commit()
            await consumer.commit()

        return await _machine_ms_each(n, send_and_read())


def _p50(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 2] * 1000


async def latency(dsn: str, bootstrap: str, n: int = 200, gap: float = 0.01) -> Latency:
    """One thing at a time, `gap` seconds apart (the machine idles between, as at a low load)."""
    conn, listener = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    heard = asyncio.Event()
    heard_at: list[float] = []
    await listener.add_listener("floor", lambda *_: (heard_at.append(time.perf_counter()), heard.set()))
    notify, round_trip = [], []
    try:
        for _ in range(n):
            await asyncio.sleep(gap)
            heard.clear()
            start = time.perf_counter()
            await conn.execute("SELECT pg_notify('floor', '')")  # autocommit: the NOTIFY goes at COMMIT
            await heard.wait()
            notify.append(heard_at[-1] - start)
            await asyncio.sleep(gap)
            start = time.perf_counter()
            await conn.fetchval("SELECT 1")
            round_trip.append(time.perf_counter() - start)
    finally:
        await conn.close()
        await listener.close()

    acked, delivered = [], []
    async with _topic(bootstrap, 4) as (topic, producer, consumer):
        for i in range(n):
            await asyncio.sleep(gap)
            start = time.perf_counter()
            ack = await producer.send(topic, (_PAYLOAD % i).encode(), key=str(i).encode())
            fetch = asyncio.ensure_future(consumer.getmany(timeout_ms=5000))
            await ack
            acked.append(time.perf_counter() - start)
            while not await fetch:  # an empty fetch that was under way: ask again
                fetch = asyncio.ensure_future(consumer.getmany(timeout_ms=5000))
            delivered.append(time.perf_counter() - start)
    return Latency(_p50(notify), _p50(round_trip), _p50(acked), _p50(delivered))


async def measure(dsn: str, url: str, bootstrap: str) -> Floor:
    """`dsn` and `url`: one empty database, for asyncpg and for SQLAlchemy."""
    return Floor(await transaction_cost(dsn), await orm_transaction_cost(dsn, url), await event_cost(bootstrap),
                 await latency(dsn, bootstrap))
