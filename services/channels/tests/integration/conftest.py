"""Fixtures: real PostgreSQL (devstack `fresh_db`, migrated), the shop platforms' stand-ins
(real local HTTP servers implementing only their documented endpoints), and the HTTP API
through httpx's ASGI transport against a Runtime built here (events are handed to handlers
directly and read back from the outbox)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from channels.api import make_api
from channels.bootstrap import MIGRATIONS
from channels.settings import Settings
from devstack.shops.etsy import EtsyStandIn
from devstack.shops.shopify import ShopifyStandIn
from devstack.shops.woocommerce import WooCommerceStandIn
from devstack.testing import asgi_client, runtime

# pytest runs with --import-mode=importlib: make the helper module next to this file importable.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def shopify():
    with ShopifyStandIn() as server:
        yield server


@pytest.fixture
def woo():
    with WooCommerceStandIn() as server:
        yield server


@pytest.fixture
def etsy():
    with EtsyStandIn() as server:
        yield server


def channel_settings(database_url: str, **over) -> Settings:
    return Settings(
        database_url=database_url, fulfillment_poll_interval=0.05, fulfillment_backoff_initial=0.05,
        fulfillment_backoff_max=0.2, fulfillment_timeout=5.0, api_timeout=5.0,
        public_base_url="https://shop-hooks.example.com", **over,
    )


@pytest.fixture
async def rt(fresh_db):
    async with runtime(channel_settings(str(fresh_db)), MIGRATIONS, "channels") as rt:
        yield rt


@pytest.fixture
async def client(rt):
    async with asgi_client(make_api(rt), "http://channels") as c:
        yield c
