"""Orders against a real PostgreSQL database (devstack's `fresh_db`, migrated): the API over
ASGI against a Runtime built here; events handed to the kit's consumer path (inbox claim +
handler in one transaction) without Kafka, and read back from the outbox."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devstack.testing import asgi_client, runtime
from orders.api import make_api
from orders.bootstrap import MIGRATIONS
from orders.handlers import OrderHandlers
from orders.settings import Settings

# pytest runs with --import-mode=importlib: make the helper module next to this file importable.
sys.path.insert(0, str(Path(__file__).parent))
from orders_testkit import CATALOG, Orders, item_defined  # noqa: E402

HANDLING_DAYS = 1


@pytest.fixture
async def orders(fresh_db):
    settings = Settings(database_url=str(fresh_db), handling_days=HANDLING_DAYS)
    handlers = OrderHandlers(settings.handling_days).handlers()
    async with runtime(settings, MIGRATIONS, "orders", handlers, pool_size=4) as rt, \
            asgi_client(make_api(rt), "http://orders") as api:
        orders = Orders(rt, api, rt.consumer)
        for sku, unit in CATALOG:  # the catalog replica as inventory's ItemDefined fills it
            await orders.deliver(item_defined(sku, unit))
        yield orders
