"""Shipped channel orders are synced back to the shop's admin API (a real local HTTP server)."""

from __future__ import annotations


import pytest

from channels.fulfillment_sync import sync_due, sync_fulfillments
from channels_testkit import body_of, deliver, shipped, shopify_order
from devstack.testing import in_background
from devstack.waiting import poll

pytestmark = pytest.mark.integration

SHOP = "acme.myshopify.com"


def syncing(rt):
    """The background fulfillment sync, running as it does in the service (`async with`)."""
    return in_background(sync_fulfillments(rt))


async def channel_order(client, admin_url: str | None, external_id: int = 450789469) -> str:
    connector = {"channel": "shopify", "shop": SHOP, "admin_token": "shpat_test"}
    if admin_url:
        connector["admin_url"] = admin_url
    assert (await client.post("/connectors", json=connector)).status_code == 200
    await client.post(f"/connectors/shopify/{SHOP}/sku-map",
                      json={"SH-CREAM": "CREAM-50", "SH-SOAP": {"sku": "SOAP-100", "per_item": "6"}})
    r = await client.post(f"/webhooks/shopify/{SHOP}", content=body_of(shopify_order(external_id)))
    assert r.status_code == 200, r.text
    return r.json()["order_id"]


async def fulfillments(client, **params) -> list[dict]:
    return (await client.get("/fulfillments", params=params)).json()


async def test_shipped_channel_order_reaches_the_shop_admin_api(rt, client, shop_admin):
    order_id = await channel_order(client, shop_admin.url)
    # Line 1 shipped from two lots; line 2 is 12 soaps = 2 six-packs in shop items.
    await deliver(rt, shipped(order_id, [(1, "CREAM-50", "1"), (1, "CREAM-50", "1"), (2, "SOAP-100", "12")]))
    (f,) = await fulfillments(client, status="pending")
    assert f["external_id"] == "450789469" and f["tracking_company"] == "DHL"

    async with syncing(rt):
        await poll(lambda: shop_admin.accepted(), 10)
        synced = await poll(lambda: fulfillments(client, status="synced"), 10)
    (req,) = shop_admin.requests
    assert req["path"] == "/admin/api/2024-01/orders/450789469/fulfillments"
    assert req["headers"]["X-Shopify-Access-Token"] == "shpat_test"
    assert req["json"] == {
        "tracking_number": "JD0146000031", "tracking_company": "DHL",
        "line_items": [{"sku": "SH-CREAM", "quantity": 2, "id": "1000"}, {"sku": "SH-SOAP", "quantity": 2, "id": "1001"}],
    }
    assert synced[0]["synced_at"] and synced[0]["attempts"] == 1


async def test_shop_outage_is_retried_with_backoff_until_synced(rt, client, shop_admin):
    order_id = await channel_order(client, shop_admin.url)
    shop_admin.fail_with = [503, 502]
    await deliver(rt, shipped(order_id, [(1, "CREAM-50", "2"), (2, "SOAP-100", "12")]))
    async with syncing(rt):
        (f,) = await poll(lambda: fulfillments(client, status="synced"), 10)
    assert [r["status"] for r in shop_admin.requests] == [503, 502, 201]
    assert f["attempts"] == 3 and f["last_error"] is None
    # Every attempt carries the same idempotency key for the shop side to drop repeats.
    assert len({r["headers"]["Idempotency-Key"] for r in shop_admin.requests}) == 1


async def test_gives_up_after_max_attempts_and_shows_failed(rt, client, shop_admin):
    rt.settings.fulfillment_max_attempts = 2
    order_id = await channel_order(client, shop_admin.url)
    shop_admin.fail_with = [500, 500, 500]
    await deliver(rt, shipped(order_id, [(1, "CREAM-50", "2")]))
    async with syncing(rt):
        (f,) = await poll(lambda: fulfillments(client, status="failed"), 10)
    assert f["attempts"] == 2 and "HTTP 500" in f["last_error"]
    assert len(shop_admin.requests) == 2


async def test_replayed_shipped_and_foreign_orders_add_no_fulfillment(rt, client, shop_admin):
    order_id = await channel_order(client, shop_admin.url)
    event = shipped(order_id, [(1, "CREAM-50", "2")])
    await deliver(rt, event)
    await deliver(rt, event)  # same shipment under another event id
    await deliver(rt, shipped("gateway-order-not-from-a-shop", [(1, "CREAM-50", "2")]))
    assert len(await fulfillments(client)) == 1
    assert await sync_due(rt) == 1
    assert await sync_due(rt) == 0
    assert len(shop_admin.requests) == 1


async def test_connector_without_admin_url_waits_until_one_is_configured(rt, client, shop_admin):
    order_id = await channel_order(client, admin_url=None)
    await deliver(rt, shipped(order_id, [(1, "CREAM-50", "2")]))
    assert await sync_due(rt) == 0
    assert (await fulfillments(client))[0]["status"] == "pending"
    await client.post("/connectors", json={"channel": "shopify", "shop": SHOP, "admin_url": shop_admin.url})
    assert await sync_due(rt) == 1
    assert shop_admin.requests[0]["path"].endswith("/orders/450789469/fulfillments")
