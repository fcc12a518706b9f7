"""The outbox at its edges: a row the relay cannot publish, two transactions emitting for one
key, and retention of the kit's tables."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timezone

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from contracts.events import OrderPlaced
from contracts.events.base import Customer, OrderLine
from devstack.waiting import poll
from eventkit.db import make_engine, make_sessions
from eventkit.migrate import migrate
from eventkit.outbox import parked_rows, unpark
from eventkit.relay import OutboxRelay
from eventkit.unit_of_work import UnitOfWork
from eventkit.topic_reader import read_to_end
from probe_rig import PLACED, placed_envelope

pytestmark = pytest.mark.integration

_INSERT = "INSERT INTO outbox (event_id, topic, key, payload) VALUES ($1, $2, $3, $4) RETURNING id"


async def _outbox(rig) -> dict[int, dict]:
    return {r["id"]: dict(r) for r in await rig.sql("SELECT id, published_at, parked_at, attempts, last_error FROM outbox")}


async def test_a_row_too_big_for_the_broker_is_parked_and_holds_back_only_its_key(rig):
    # The topic would take it; the relay's producer (like a default broker) refuses over 1 MiB.
    await rig.create_topic(rig.topic, PLACED.partitions, **{"max.message.bytes": "4000000"})
    probe = await rig.start("a")
    conn = await asyncpg.connect(rig.db.dsn)
    try:
        big = await conn.fetchval(_INSERT, uuid.uuid4(), rig.topic, "key-A", b"x" * 1_500_000)
        other = await conn.fetchval(_INSERT, uuid.uuid4(), rig.topic, "key-B", placed_envelope("o-other").to_bytes())
        same = await conn.fetchval(_INSERT, uuid.uuid4(), rig.topic, "key-A", placed_envelope("o-same").to_bytes())

        async def other_published_big_parked():
            rows = await _outbox(rig)
            return rows[other]["published_at"] and rows[big]["parked_at"] and rows

        rows = await poll(other_published_big_parked, deadline=30, what="the other key published, the big row parked")
        assert rows[big]["attempts"] == 1 and "MessageSizeTooLarge" in rows[big]["last_error"]
        assert rows[same]["published_at"] is None and rows[same]["parked_at"] is None  # waits behind it
        assert [r["id"] for r in (await rig.ready(probe))["outbox_parked"]] == [big]
        listed = await parked_rows(conn)
        assert [(r["id"], r["held_behind"]) for r in listed] == [(big, 1)]

        # The operator raises the limit, restarts and unparks: the key's rows go out in order.
        await probe.terminate_async()
        probe = await rig.start("a", PROBE_RELAY_MAX_REQUEST_SIZE="3000000")
        assert await unpark(conn, [big]) == 1

        async def both_published():
            rows = await _outbox(rig)
            return rows[big]["published_at"] and rows[same]["published_at"]

        await poll(both_published, deadline=30, what="the unparked row and the one behind it published")
    finally:
        await conn.close()
    on_topic = [r for r in await read_to_end(rig.stack.bootstrap, [rig.topic]) if r.key == b"key-A"]
    assert [len(r.value) for r in on_topic][0] == 1_500_000
    assert [json.loads(r.value)["data"]["order_id"] for r in on_topic[1:]] == ["o-same"]


def _placed(order_id: str, name: str) -> OrderPlaced:
    return OrderPlaced(order_id=order_id, order_no=order_id, customer=Customer(name=name, email="a@example.com"),
                       lines=[OrderLine(line_no=1, sku="SKU-1", quantity=1, unit="pcs")],
                       placed_at=datetime.now(timezone.utc))


async def test_two_transactions_emitting_for_one_key_commit_in_emit_order(fresh_db):
    await migrate(fresh_db, None)
    engine = make_engine(fresh_db, 4)
    uow = UnitOfWork(make_sessions(engine), "test")
    first_emitted, release_first = asyncio.Event(), asyncio.Event()

    async def first():
        async with uow.start() as ctx:
            await ctx.emit(_placed("o-1", "first"))
            first_emitted.set()
            await release_first.wait()

    async def second():
        async with uow.start() as ctx:
            await ctx.emit(_placed("o-1", "second"))

    async def visible() -> list[str]:
        """What the relay would see now: committed rows, in the order it publishes them."""
        rows = await asyncpg.connect(fresh_db.dsn)
        try:
            return [json.loads(bytes(r["payload"]))["data"]["customer"]["name"]
                    for r in await rows.fetch("SELECT payload FROM outbox ORDER BY id")]
        finally:
            await rows.close()

    async def second_done_or_waiting_for_the_key():
        if t2.done():
            return True
        conn = await asyncpg.connect(fresh_db.dsn)
        try:
            return await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
        finally:
            await conn.close()

    try:
        t1 = asyncio.create_task(first())
        await asyncio.wait_for(first_emitted.wait(), 10)
        t2 = asyncio.create_task(second())
        await poll(second_done_or_waiting_for_the_key, deadline=10, what="the second transaction to finish or wait")
        # The first has not committed: nothing of the key may be visible yet, or the relay
        # would publish the second event before the first.
        assert await visible() == []
        release_first.set()
        await asyncio.wait_for(asyncio.gather(t1, t2), 10)
        assert await visible() == ["first", "second"]
    finally:
        release_first.set()
        await engine.dispose()


async def test_published_outbox_rows_and_inbox_rows_past_retention_are_pruned_in_the_background(rig):
    await rig.start("a", PROBE_RETENTION_INTERVAL="0.2", PROBE_RETENTION_BATCH_SIZE="10",
                    PROBE_OUTBOX_RETENTION_HOURS="1", PROBE_INBOX_RETENTION_DAYS="1")
    conn = await asyncpg.connect(rig.db.dsn)
    try:
        async with conn.transaction():
            for i in range(25):
                await conn.execute("INSERT INTO outbox (event_id, topic, key, payload, published_at) "
                                   "VALUES ($1, 'old', 'k', '', now() - interval '2 hours')", uuid.uuid4())
                await conn.execute("INSERT INTO inbox (consumer, event_id, topic, partition, \"offset\", processed_at) "
                                   "VALUES ('g', $1, 't', 0, $2, now() - interval '2 days')", uuid.uuid4(), i)
            await conn.execute("INSERT INTO outbox (event_id, topic, key, payload, published_at) "
                               "VALUES ($1, 'recent', 'k', '', now() - interval '10 minutes')", uuid.uuid4())
            await conn.execute("INSERT INTO inbox (consumer, event_id, topic, partition, \"offset\") "
                               "VALUES ('g', $1, 'recent', 0, 0)", uuid.uuid4())

        async def pruned():
            outbox = sorted(r["topic"] for r in await conn.fetch("SELECT topic FROM outbox"))
            inbox = sorted(r["topic"] for r in await conn.fetch("SELECT topic FROM inbox"))
            return (outbox, inbox) if "old" not in outbox and "t" not in inbox else None

        outbox, inbox = await poll(pruned, deadline=30, what="old rows pruned")
        assert outbox == ["recent"]
        assert inbox == ["recent"]

        # A parked row is never published, and never pruned however old.
        await conn.execute("INSERT INTO outbox (event_id, topic, key, payload, created_at, parked_at) "
                           "VALUES ($1, 'parked', 'k', '', now() - interval '2 days', now())", uuid.uuid4())
        await conn.execute("INSERT INTO outbox (event_id, topic, key, payload, published_at) "
                           "VALUES ($1, 'old', 'k', '', now() - interval '2 hours')", uuid.uuid4())
        outbox, _ = await poll(pruned, deadline=30, what="the next old row pruned")
        assert outbox == ["parked", "recent"]
    finally:
        await conn.close()


async def test_one_relay_publishes_a_database_until_its_connection_ends(rig, stack):
    """Two instances of a service: the relay whose connection took the database's relay lock
    publishes; the other publishes nothing, however often it looks, until that connection
    ends (its process stopped or died), and then takes over from the first row left."""
    await migrate(rig.db, None)
    await rig.create_topics()
    engine = make_engine(rig.db, 2)
    uow = UnitOfWork(make_sessions(engine), "test", rig.prefix)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, enable_idempotence=True)
    await producer.start()
    first, second = OutboxRelay(rig.db, producer), OutboxRelay(rig.db, producer)

    async def emit(name: str) -> None:
        async with uow.start() as ctx:
            await ctx.emit(_placed(f"o-{name}", name))

    try:
        for relay in (first, second):
            await relay._ensure_connections()
        await emit("one")
        assert await first.publish_batch() == 1
        await emit("two")
        assert await second.publish_batch() == 0, "a second relay published while the first one lives"
        assert await first.publish_batch() == 1
        await emit("three")
        await first._close_connections()  # the first instance is gone
        assert await second.publish_batch() == 1
        assert (first.published, second.published) == (2, 1)
        assert all(r["published_at"] is not None for r in (await _outbox(rig)).values())
    finally:
        for relay in (first, second):
            await relay._close_connections()
        await producer.stop()
        await engine.dispose()


async def test_a_commit_wakes_its_own_process_relay_without_waiting_for_the_notify(rig, stack):
    """The relay of the process that committed events is woken by the commit itself: with the
    NOTIFY gone and a poll once a minute, a command's and a handler's events still leave at
    once. A transaction that raised nothing, or rolled back, wakes nobody."""
    await migrate(rig.db, None)
    await rig.create_topics()
    conn = await asyncpg.connect(rig.db.dsn)
    await conn.execute("DROP TRIGGER outbox_notify ON outbox")
    engine = make_engine(rig.db, 2)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, enable_idempotence=True)
    await producer.start()
    relay = OutboxRelay(rig.db, producer, poll_interval=60)
    woken = []

    def events_committed():
        woken.append(asyncio.get_running_loop().time())
        relay.wake()

    uow = UnitOfWork(make_sessions(engine), "test", rig.prefix, events_committed=events_committed)
    running = asyncio.create_task(relay.run())

    async def published() -> int:
        return await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")

    try:
        # Healthy once its first look at the outbox is done: what comes now, only a wake-up finds.
        await poll(lambda: relay.healthy, deadline=30, what="the relay up")
        async with uow.start() as ctx:
            await ctx.emit(_placed("o-1", "command"))
        assert len(woken) == 1
        await poll(lambda: _count_is(published, 1), deadline=10, what="the command's event published without a NOTIFY")
        async with uow.handling(placed_envelope("o-2")) as ctx:
            await ctx.emit(_placed("o-2", "handler"))
        await poll(lambda: _count_is(published, 2), deadline=10, what="the handler's event published without a NOTIFY")
        async with uow.start() as ctx:
            pass  # raised nothing
        with pytest.raises(RuntimeError):
            async with uow.start() as ctx:
                await ctx.emit(_placed("o-3", "rolled back"))
                raise RuntimeError("the command failed")
        assert len(woken) == 2
        assert await published() == 2
    finally:
        await relay.stop()
        await asyncio.wait_for(running, 10)
        await conn.close()
        await producer.stop()
        await engine.dispose()


async def _count_is(count, n: int) -> bool:
    return await count() == n
