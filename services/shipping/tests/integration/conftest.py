"""Fixtures: real PostgreSQL (devstack `fresh_db`, migrated), a real SMTP listener, and the
HTTP API through httpx's ASGI transport against a Runtime built here (no Kafka needed:
events are handed to the handlers directly and read back from the outbox)."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from eventkit import Runtime, UnitOfWork
from eventkit.db import make_engine, make_sessions
from eventkit.migrate import migrate
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
    await migrate(fresh_db, MIGRATIONS)
    settings = Settings(
        database_url=fresh_db, smtp_port=smtp.port, notify_poll_interval=0.05,
        notify_backoff_initial=0.05, notify_backoff_max=0.2,
    )
    engine = make_engine(fresh_db, 5)
    runtime = Runtime(settings, engine, UnitOfWork(make_sessions(engine), "shipping"), None, None, None)
    yield runtime
    await engine.dispose()


@pytest.fixture
async def client(rt):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(make_api(rt)), base_url="http://shipping") as c:
        yield c
