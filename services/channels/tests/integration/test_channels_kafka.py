"""The channels service as it runs (bootstrap.build(...).serve()) on the devstack's Kafka and
PostgreSQL: a signed webhook over HTTP becomes one ChannelOrderReceived on Kafka (also when
the shop delivers it twice); Shipped from Kafka reaches the shop's admin API (a local HTTP server)."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from channels.bootstrap import MIGRATIONS, build
from channels.domain.channels import sign
from channels.settings import Settings
from channels_testkit import body_of, shipped, shopify_order
from devstack.testing import kafka_settings, publish, read_until, serving
from devstack.waiting import poll
from eventkit.migrate import migrate

pytestmark = pytest.mark.integration

SHOP = "kafka-shop.myshopify.com"
SECRET = "shpss_kafka_secret"


@pytest.fixture
async def service(stack, fresh_db):
    await migrate(str(fresh_db), MIGRATIONS)
    settings = Settings(**kafka_settings(stack, fresh_db, "channels", fulfillment_poll_interval=0.1))
    async with serving(build, settings) as (http,):
        yield http


async def test_webhook_to_kafka_and_shipped_from_kafka_to_the_shop(stack, fresh_db, service, shop_admin):
    external_id = int(uuid.uuid4().int % 10**12)
    await service.post("/connectors", json={"channel": "shopify", "shop": SHOP, "webhook_secret": SECRET,
                                            "admin_url": shop_admin.url})
    await service.post(f"/connectors/shopify/{SHOP}/sku-map", json={"SH-CREAM": "CREAM-50", "SH-SOAP": "SOAP-100"})
    raw = body_of(shopify_order(external_id))
    for _ in range(2):  # the shop delivers twice
        r = await service.post(f"/webhooks/shopify/{SHOP}", content=raw, headers={"X-Shopify-Hmac-Sha256": sign(SECRET, raw)})
        assert r.status_code == 200, r.text
    order_id = r.json()["order_id"]

    # Everything the service wrote to its outbox is on Kafka before we read the topic, so a
    # second copy could not hide behind the first.
    async def all_published():
        conn = await asyncpg.connect(fresh_db.dsn)
        try:
            return await conn.fetchval("SELECT count(*) FILTER (WHERE published_at IS NULL) = 0 FROM outbox")
        finally:
            await conn.close()
    await poll(all_published, 60)
    envelopes = await read_until(stack, ["ChannelOrderReceived"], [order_id], deadline=60)
    assert len(envelopes) == 1 and envelopes[0].data["external_order_id"] == str(external_id)

    await publish(stack, shipped(order_id, [(1, "CREAM-50", "2"), (2, "SOAP-100", "2")], carrier="UPS", tracking="1Z999AA1"))
    await poll(lambda: shop_admin.accepted(), 60)
    (req,) = shop_admin.requests
    assert req["path"].endswith(f"/orders/{external_id}/fulfillments")
    assert req["json"]["tracking_number"] == "1Z999AA1" and req["json"]["tracking_company"] == "UPS"
