"""Inventory against a real PostgreSQL database (devstack's `fresh_db`, migrated): events
handed to the kit's consumer path (inbox claim + handler in one transaction) without Kafka
and read back from the outbox; the API over ASGI against a Runtime built here."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from eventkit import EventConsumer, Runtime, UnitOfWork
from eventkit.db import make_engine, make_sessions
from eventkit.migrate import migrate
from inventory.api import make_api
from inventory.bootstrap import HANDLERS, MIGRATIONS
from inventory.settings import Settings

# pytest runs with --import-mode=importlib: make the helper module next to this file importable.
sys.path.insert(0, str(Path(__file__).parent))
from inventory_testkit import Inventory  # noqa: E402


def build(url: str) -> Inventory:
    settings = Settings(database_url=url)
    engine = make_engine(url, pool_size=4)
    uow = UnitOfWork(make_sessions(engine), "inventory")
    consumer = EventConsumer(settings, uow, HANDLERS, producer=None)
    rt = Runtime(settings, engine, uow, producer=None, relay=None, consumer=consumer)
    api = httpx.AsyncClient(transport=httpx.ASGITransport(make_api(rt)), base_url="http://inventory")
    return Inventory(rt, api, consumer)


@pytest.fixture
async def inv(fresh_db):
    await migrate(str(fresh_db), MIGRATIONS)
    inventory = build(str(fresh_db))
    yield inventory
    await inventory.api.aclose()
    await inventory.rt.engine.dispose()


@pytest.fixture
async def twin(inv):
    """A second instance of the service on the same database (same consumer group)."""
    other = build(inv.rt.settings.database_url)
    yield other
    await other.api.aclose()
    await other.rt.engine.dispose()
