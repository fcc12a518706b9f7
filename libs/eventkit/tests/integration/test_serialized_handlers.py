"""A handler `serialized_by` a key gets its advisory lock with the inbox claim, on a real
PostgreSQL: the lock is held from the claim to the commit (another transaction cannot take it
meanwhile), the handler's own `ctx.lock(key)` sends nothing more, a duplicate is still
dropped by the inbox, and a handler bound with functools.partial keeps its declaration."""

from __future__ import annotations

import asyncio
from functools import partial

import asyncpg
import pytest
from aiokafka.structs import ConsumerRecord
from sqlalchemy import event as sa_event

from contracts.events import OrderPlaced
from eventkit import Context, serialized_by
from eventkit.consumer import EventConsumer
from eventkit.db import make_engine, make_sessions
from eventkit.migrate import migrate
from eventkit.settings import ServiceSettings
from eventkit.unit_of_work import UnitOfWork
from probe_rig import placed_envelope

pytestmark = pytest.mark.integration


def _record(envelope, offset: int = 0) -> ConsumerRecord:
    value = envelope.to_bytes()
    return ConsumerRecord(topic="orders.order-placed.v1", partition=0, offset=offset, timestamp=0, timestamp_type=0,
                          key=envelope.correlation_id.encode(), value=value, checksum=None, serialized_key_size=0,
                          serialized_value_size=len(value), headers=())


async def _lock_is_free(dsn: str, key: str) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            return await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))", key)
    finally:
        await conn.close()


@pytest.fixture
async def kit(fresh_db):
    await migrate(str(fresh_db), None)
    engine = make_engine(str(fresh_db))
    statements: list[str] = []
    sa_event.listen(engine.sync_engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *rest: statements.append(statement))
    yield UnitOfWork(make_sessions(engine), "test"), fresh_db.dsn, statements
    await engine.dispose()


async def test_a_serialized_handler_holds_its_lock_from_the_claim_and_asks_for_it_no_more(kit):
    uow, dsn, statements = kit
    seen: list[tuple[bool, list[str]]] = []

    @serialized_by(lambda event: f"test-order:{event.order_id}")
    async def handler(ctx: Context, event: OrderPlaced) -> None:
        before = len(statements)
        await ctx.lock(f"test-order:{event.order_id}")  # held already: no statement
        sent = statements[before:]
        # Another transaction cannot take the lock while this one runs.
        seen.append((await _lock_is_free(dsn, f"test-order:{event.order_id}"), sent))

    consumer = EventConsumer(ServiceSettings(group_id="g"), uow, {OrderPlaced: handler}, producer=None)
    envelope = placed_envelope("o-1")
    event = OrderPlaced.model_validate(envelope.data)
    await consumer._apply(_record(envelope), envelope, event, handler)

    assert seen == [(False, [])]
    assert any("pg_advisory_xact_lock" in s and "INSERT INTO inbox" in s for s in statements)
    assert await _lock_is_free(dsn, "test-order:o-1")  # released by the commit

    # The same event again: the inbox drops it, the handler does not run.
    await consumer._apply(_record(envelope, offset=1), envelope, event, handler)
    assert len(seen) == 1 and consumer.duplicates == 1


async def test_two_events_of_one_key_applied_at_once_run_one_after_the_other(kit):
    uow, _, _ = kit
    running: list[str] = []
    overlaps: list[bool] = []

    async def handler(ctx: Context, event: OrderPlaced, *, pause: float) -> None:
        running.append(event.order_no)
        overlaps.append(len(running) > 1)
        await asyncio.sleep(pause)
        running.remove(event.order_no)

    # Bound with partial, as composition roots bind settings: the declaration is still seen.
    declared = serialized_by(lambda event: f"test-order:{event.order_id}")(handler)
    bound = partial(declared, pause=0.3)
    consumer = EventConsumer(ServiceSettings(group_id="g"), uow, {OrderPlaced: bound}, producer=None)
    first, second = placed_envelope("o-2"), placed_envelope("o-2")  # two events about one order
    second.data["order_no"] = "second"
    await asyncio.gather(
        consumer._apply(_record(first), first, OrderPlaced.model_validate(first.data), bound),
        consumer._apply(_record(second, 1), second, OrderPlaced.model_validate(second.data), bound),
    )
    assert overlaps == [False, False]
    assert consumer.handled == 2


async def test_a_shared_lock_admits_other_sharers_and_is_free_under_the_exclusive_one(kit):
    uow, dsn, statements = kit

    async def others_may(shared: bool) -> bool:
        conn = await asyncpg.connect(dsn)
        try:
            async with conn.transaction():
                fn = "pg_try_advisory_xact_lock_shared" if shared else "pg_try_advisory_xact_lock"
                return await conn.fetchval(f"SELECT {fn}(hashtextextended($1, 0))", "test-catalog")
        finally:
            await conn.close()

    async with uow.start() as ctx:
        await ctx.lock("test-catalog", shared=True)
        before = len(statements)
        await ctx.lock("test-catalog", shared=True)  # held: nothing sent
        assert len(statements) == before
        assert await others_may(shared=True) and not await others_may(shared=False)
    async with uow.start() as ctx:
        ctx.holds("test-catalog")  # exclusive, as a serialized handler's claim takes it
        before = len(statements)
        await ctx.lock("test-catalog", shared=True)  # the exclusive lock serves it
        assert len(statements) == before
