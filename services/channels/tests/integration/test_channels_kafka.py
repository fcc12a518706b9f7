"""The channels service as it runs (bootstrap.build(...).serve()) on the devstack's Kafka and
PostgreSQL: a signed webhook over HTTP becomes one ChannelOrderReceived on Kafka (also when
the shop delivers it twice); Shipped from Kafka reaches Shopify's fulfillment API (its local stand-in)."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from channels.bootstrap import MIGRATIONS, build
from channels.settings import Settings
from channels_testkit import SECRET, fixture, shipped
from devstack.testing import kafka_settings, publish, read_until, serving
from devstack.waiting import poll
from eventkit.migrate import migrate

pytestmark = pytest.mark.integration

SHOP = "kafka-shop.myshopify.com"


@pytest.fixture
async def service(stack, fresh_db):
    await migrate(str(fresh_db), MIGRATIONS)
    settings = Settings(**kafka_settings(stack, fresh_db, "channels", fulfillment_poll_interval=0.1))
    async with serving(build, settings) as (http,):
        yield http


async def test_webhook_to_kafka_and_shipped_from_kafka_to_the_shop(stack, fresh_db, service, shopify):
    await service.post("/connectors", json={"channel": "shopify", "shop": SHOP, "webhook_secret": SECRET,
                                            "admin_url": shopify.url, "admin_token": shopify.token})
    await service.post(f"/connectors/shopify/{SHOP}/sku-map", json={
        "IPOD2008GREEN": "SOAP-LAV", "IPOD2008RED": "SOAP-ROSE", "IPOD2008BLACK": "SOAP-CHAR"})
    external_id = int(uuid.uuid4().int % 10**12)
    payload = shopify.add_order(fixture("shopify", "orders_create", id=external_id))
    for _ in range(2):  # the shop delivers twice, with two delivery ids
        headers, body = shopify.webhook("orders/create", payload, SECRET)
        r = await service.post(f"/webhooks/shopify/{SHOP}", content=body, headers=headers)
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

    await publish(stack, shipped(order_id, [(1, "SOAP-LAV", "1"), (2, "SOAP-ROSE", "1"), (3, "SOAP-CHAR", "1")],
                                 carrier="UPS", tracking="1Z999AA10123456784"))
    posts = await poll(lambda: shopify.calls_to("POST", r"/admin/api/[^/]+/fulfillments\.json"), 60,
                       what="the fulfillment at the shop")
    assert posts[0].json["fulfillment"]["tracking_info"]["number"] == "1Z999AA10123456784"
    assert posts[0].json["fulfillment"]["tracking_info"]["company"] == "UPS"
