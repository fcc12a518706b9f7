"""Production against a real PostgreSQL database (devstack's `fresh_db`): handlers run in
the kit's unit of work exactly as the consumer runs them; the API is driven over ASGI."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from eventkit import Runtime, UnitOfWork
from eventkit.db import make_engine, make_sessions
from eventkit.migrate import migrate
from production.api import make_api
from production.bootstrap import MIGRATIONS
from production.settings import Settings

# The tests' helper module sits beside them (a unique name: every service has a conftest).
sys.path.insert(0, str(Path(__file__).parent))
from production_testkit import Production  # noqa: E402

BATCHES_PER_DAY = 2


@pytest.fixture
async def production(fresh_db):
    await migrate(str(fresh_db), MIGRATIONS)
    settings = Settings(database_url=str(fresh_db), batches_per_day=BATCHES_PER_DAY)
    engine = make_engine(settings.database_url, pool_size=4)
    uow = UnitOfWork(make_sessions(engine), "production")
    rt = Runtime(settings, engine, uow, producer=None, relay=None, consumer=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=make_api(rt)), base_url="http://production") as api:
        yield Production(uow, api, BATCHES_PER_DAY)
    await engine.dispose()
