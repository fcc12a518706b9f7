"""Inventory against a real PostgreSQL database (devstack's `fresh_db`, migrated): events
handed to the kit's consumer path (inbox claim + handler in one transaction) without Kafka
and read back from the outbox; the API over ASGI against a Runtime built here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devstack.testing import asgi_client, build_runtime
from eventkit.migrate import migrate
from inventory.api import make_api
from inventory.bootstrap import HANDLERS, MIGRATIONS
from inventory.settings import Settings

# pytest runs with --import-mode=importlib: make the helper module next to this file importable.
sys.path.insert(0, str(Path(__file__).parent))
from inventory_testkit import Inventory  # noqa: E402


def build(url: str) -> Inventory:
    rt = build_runtime(Settings(database_url=url), "inventory", HANDLERS, pool_size=4)
    return Inventory(rt, asgi_client(make_api(rt), "http://inventory"), rt.consumer)


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
