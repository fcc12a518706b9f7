"""Fixtures: real PostgreSQL (devstack `fresh_db`, migrated), a real SMTP listener, and the
HTTP API through httpx's ASGI transport against a Runtime built here (no Kafka needed:
events are handed to the handlers directly and read back from the outbox)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devstack.testing import asgi_client, runtime
from shipping.api import make_api
from shipping.bootstrap import MIGRATIONS
from shipping.settings import Settings
# pytest runs with --import-mode=importlib: make the helper module next to this file importable.
sys.path.insert(0, str(Path(__file__).parent))
from shipping_testkit import SmtpServer  # noqa: E402


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
async def rt(fresh_db, smtp):
    settings = Settings(
        database_url=fresh_db, smtp_port=smtp.port, notify_poll_interval=0.05,
        notify_backoff_initial=0.05, notify_backoff_max=0.2,
    )
    async with runtime(settings, MIGRATIONS, "shipping") as rt:
        yield rt


@pytest.fixture
async def client(rt):
    async with asgi_client(make_api(rt), "http://shipping") as c:
        yield c
