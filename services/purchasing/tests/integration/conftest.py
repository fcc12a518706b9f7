"""Purchasing against a real PostgreSQL database (devstack's `fresh_db`, migrated): events
handed to the kit's consumer path (inbox claim + handler in one transaction) without Kafka,
read back from the outbox; the API over ASGI against a Runtime built here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devstack.testing import asgi_client, runtime
from purchasing.api import make_api
from purchasing.bootstrap import MIGRATIONS
from purchasing.handlers import HANDLERS
from purchasing.settings import Settings

# pytest runs with --import-mode=importlib: make the helper module next to this file importable.
sys.path.insert(0, str(Path(__file__).parent))
from purchasing_testkit import Purchasing  # noqa: E402


@pytest.fixture
async def purchasing(fresh_db):
    async with runtime(Settings(database_url=fresh_db), MIGRATIONS, "purchasing", HANDLERS) as rt:
        async with asgi_client(make_api(rt), "http://purchasing") as api:
            yield Purchasing(rt, api)
