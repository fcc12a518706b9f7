"""Orders against a real PostgreSQL database (devstack's `fresh_db`, migrated): the API over
ASGI against a Runtime built here; events handed to the kit's consumer path (inbox claim +
handler in one transaction) without Kafka, and read back from the outbox."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from eventkit import EventConsumer, Runtime, UnitOfWork
from eventkit.db import make_engine, make_sessions
from eventkit.migrate import migrate
from orders.api import make_api
from orders.bootstrap import MIGRATIONS
from orders.handlers import OrderHandlers
from orders.settings import Settings

# pytest runs with --import-mode=importlib: make the helper module next to this file importable.
sys.path.insert(0, str(Path(__file__).parent))
from orders_testkit import Orders  # noqa: E402

HANDLING_DAYS = 1


@pytest.fixture
async def orders(fresh_db):
    await migrate(str(fresh_db), MIGRATIONS)
    settings = Settings(database_url=str(fresh_db), handling_days=HANDLING_DAYS)
    engine = make_engine(settings.database_url, pool_size=4)
    uow = UnitOfWork(make_sessions(engine), "orders")
    consumer = EventConsumer(settings, uow, OrderHandlers(settings.handling_days).handlers(), producer=None)
    rt = Runtime(settings, engine, uow, producer=None, relay=None, consumer=consumer)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(make_api(rt)), base_url="http://orders") as api:
        yield Orders(rt, api, consumer)
    await engine.dispose()
