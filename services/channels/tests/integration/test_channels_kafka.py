"""The channels service as it runs (bootstrap.build(...).serve()) on the devstack's Kafka and
PostgreSQL: a signed webhook over HTTP becomes one ChannelOrderReceived on Kafka (also when
the shop delivers it twice); Shipped from Kafka reaches the shop's admin API (a local HTTP server)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import asyncpg
import httpx
import pytest

from channels.bootstrap import MIGRATIONS, build
from channels.domain.channels import sign
from channels.settings import Settings
from channels_testkit import body_of, eventually, free_port, publish, read_topic, shipped, shopify_order
from eventkit.migrate import migrate

pytestmark = pytest.mark.integration

SHOP = "kafka-shop.myshopify.com"
SECRET = "shpss_kafka_secret"


@pytest.fixture
async def service(stack, fresh_db):
    await migrate(str(fresh_db), MIGRATIONS)
    settings = Settings(
        database_url=str(fresh_db), kafka_bootstrap=stack.bootstrap, topic_prefix=stack.topic_prefix,
        consumer_group=f"channels-test-{uuid.uuid4().hex[:8]}", http_port=free_port(), relay_poll_interval=0.2,
        fulfillment_poll_interval=0.1,
    )
    svc = build(settings)
    task = asyncio.create_task(svc.serve())
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.http_port}") as http:
        async def ready():
            with contextlib.suppress(httpx.TransportError):
                return (await http.get("/health/ready")).status_code == 200
        await eventually(ready, timeout=60)
        yield http
    svc.request_stop()
    await asyncio.wait_for(task, 30)


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
    await eventually(all_published, timeout=60)
    envelopes = await read_topic(stack, "ChannelOrderReceived", order_id, timeout=60)
    assert len(envelopes) == 1 and envelopes[0].data["external_order_id"] == str(external_id)

    await publish(stack, shipped(order_id, [(1, "CREAM-50", "2"), (2, "SOAP-100", "2")], carrier="UPS", tracking="1Z999AA1"))
    await eventually(lambda: shop_admin.accepted(), timeout=60)
    (req,) = shop_admin.requests
    assert req["path"].endswith(f"/orders/{external_id}/fulfillments")
    assert req["json"]["tracking_number"] == "1Z999AA1" and req["json"]["tracking_company"] == "UPS"
