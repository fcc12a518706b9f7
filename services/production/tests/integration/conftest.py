"""Production against a real PostgreSQL database (devstack's `fresh_db`): handlers run in
the kit's unit of work exactly as the consumer runs them; the API is driven over ASGI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devstack.testing import asgi_client, runtime
from production.api import make_api
from production.bootstrap import MIGRATIONS
from production.settings import Settings

# The tests' helper module sits beside them (a unique name: every service has a conftest).
sys.path.insert(0, str(Path(__file__).parent))
from production_testkit import CATALOG, Production  # noqa: E402

BATCHES_PER_DAY = 2


@pytest.fixture
async def production(fresh_db):
    settings = Settings(database_url=str(fresh_db), batches_per_day=BATCHES_PER_DAY)
    async with runtime(settings, MIGRATIONS, "production", pool_size=4) as rt, \
            asgi_client(make_api(rt), "http://production") as api:
        production = Production(rt.uow, api, BATCHES_PER_DAY)
        for sku, kind, unit in CATALOG:  # the catalog replica as inventory fills it
            await production.define(sku, kind, unit)
        yield production
