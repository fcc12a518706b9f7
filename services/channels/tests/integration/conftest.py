"""Fixtures: real PostgreSQL (devstack `fresh_db`, migrated), a real local HTTP server as
the shop admin API, and the HTTP API through httpx's ASGI transport against a Runtime built
here (events are handed to handlers directly and read back from the outbox)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from channels.api import make_api
from channels.bootstrap import MIGRATIONS
from channels.settings import Settings
# pytest runs with --import-mode=importlib: make the helper module next to this file importable.
sys.path.insert(0, str(Path(__file__).parent))
from channels_testkit import FakeShopAdmin  # noqa: E402
from devstack.testing import asgi_client, runtime


@pytest.fixture
def shop_admin():
    server = FakeShopAdmin().start()
    yield server
    server.stop()


@pytest.fixture
async def rt(fresh_db):
    settings = Settings(
        database_url=fresh_db, fulfillment_poll_interval=0.05, fulfillment_backoff_initial=0.05,
        fulfillment_backoff_max=0.2, fulfillment_timeout=5.0,
    )
    async with runtime(settings, MIGRATIONS, "channels") as rt:
        yield rt


@pytest.fixture
async def client(rt):
    async with asgi_client(make_api(rt), "http://channels") as c:
        yield c
