"""Shipped shop orders reported through each platform's documented API (the stand-ins record
the exact requests): Shopify fulfillment orders, WooCommerce notes + completed status, Etsy
receipt tracking. Partial shipments report only what shipped; outages are retried with
backoff; a refusal fails at once and can be retried by hand; replays report nothing twice."""

from __future__ import annotations

import httpx
import pytest
from channels_testkit import (
    SECRET, connect, deliver, etsy_connector, events, fixture, map_skus, ship, shipped, woo_connector,
)

from channels.fulfillment_sync import sync_due
from channels.order_import import fetch_due
from channels.secrets import SecretBox
from devstack.shops.etsy import new_webhook_secret
from devstack.testing import query_scalar
from devstack.waiting import poll

pytestmark = pytest.mark.integration

SHOP = "acme.myshopify.com"
IPODS = {"IPOD2008GREEN": "SOAP-LAV", "IPOD2008RED": "SOAP-ROSE", "IPOD2008BLACK": "SOAP-CHAR"}


async def sync(rt) -> int:
    async with httpx.AsyncClient(timeout=5) as http:
        return await sync_due(rt, SecretBox(rt.settings.secrets_key), http)


async def fulfillments(client, **params) -> list[dict]:
    return (await client.get("/fulfillments", params=params)).json()


async def accepted_shopify_order(rt, client, shopify) -> str:
    await connect(client, "shopify", SHOP, admin_url=shopify.url, admin_token=shopify.token)
    await map_skus(client, "shopify", SHOP, IPODS)
    payload = shopify.add_order(fixture("shopify", "orders_create"))
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", payload, SECRET))
    assert r.json()["status"] == "accepted"
    return r.json()["order_id"]


async def test_shopify_partial_then_final_shipment_through_fulfillment_orders(rt, client, shopify):
    order_id = await accepted_shopify_order(rt, client, shopify)
    await ship(rt, shipped(order_id, [(1, "SOAP-LAV", "1"), (2, "SOAP-ROSE", "1")], complete=False,
                           tracking="JD0146000031", tracking_url="https://www.dhl.com/track?id=JD0146000031"))
    assert await sync(rt) == 1
    assert shopify.calls_to("GET", r"/admin/api/[^/]+/orders/450789469/fulfillment_orders\.json")
    (post,) = shopify.calls_to("POST", r"/admin/api/[^/]+/fulfillments\.json")
    assert post.header("x-shopify-access-token") == shopify.token
    body = post.json["fulfillment"]
    assert body["tracking_info"] == {"number": "JD0146000031", "company": "DHL Express",
                                     "url": "https://www.dhl.com/track?id=JD0146000031"}
    (by_fo,) = body["line_items_by_fulfillment_order"]
    fo = shopify.fulfillment_orders["450789469"][0]
    wanted = {li["id"]: li["line_item_id"] for li in fo["line_items"]}
    assert sorted((wanted[li["id"]], li["quantity"]) for li in by_fo["fulfillment_order_line_items"]) == [
        (466157049, 1), (518995019, 1)]

    await ship(rt, shipped(order_id, [(3, "SOAP-CHAR", "1")], tracking="JD0146000032"))
    assert await sync(rt) == 1
    assert len(shopify.calls_to("POST", r"/admin/api/[^/]+/fulfillments\.json")) == 2
    assert sorted(f["status"] for f in await fulfillments(client, order_id=order_id)) == ["synced", "synced"]


async def test_shopify_outage_is_retried_with_backoff_until_reported(rt, client, shopify):
    order_id = await accepted_shopify_order(rt, client, shopify)
    await ship(rt, shipped(order_id, [(1, "SOAP-LAV", "1"), (2, "SOAP-ROSE", "1"), (3, "SOAP-CHAR", "1")]))
    shopify.fail_next(503, 503)

    async def reported():
        await sync(rt)
        return [f for f in await fulfillments(client, order_id=order_id) if f["status"] == "synced"]

    (f,) = await poll(reported, 20, what="fulfillment reported after the outage")
    assert f["attempts"] == 3 and f["last_error"] is None
    assert len(shopify.calls_to("POST", r"/admin/api/[^/]+/fulfillments\.json")) == 1


async def test_refused_fulfillment_fails_at_once_and_a_retry_by_hand_reports_it(rt, client, shopify):
    order_id = await accepted_shopify_order(rt, client, shopify)
    await ship(rt, shipped(order_id, [(1, "SOAP-LAV", "1")]))
    shopify.fail_next(422)
    await sync(rt)
    (f,) = await fulfillments(client, status="failed")
    assert f["attempts"] == 1 and "422" in f["last_error"]
    r = await client.post(f"/fulfillments/{f['fulfillment_id']}/retry")
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert await sync(rt) == 1
    assert (await client.post(f"/fulfillments/{f['fulfillment_id']}/retry")).status_code == 409


async def test_replayed_shipped_and_foreign_orders_report_nothing_more(rt, client, shopify):
    order_id = await accepted_shopify_order(rt, client, shopify)
    event = shipped(order_id, [(1, "SOAP-LAV", "1")])
    await ship(rt, event)
    await ship(rt, event)
    await ship(rt, shipped("an-operator-order", [(1, "SOAP-LAV", "1")]))
    assert await sync(rt) == 1
    assert len(await fulfillments(client)) == 1


async def test_disabled_connector_keeps_its_fulfillments_pending(rt, client, shopify):
    order_id = await accepted_shopify_order(rt, client, shopify)
    await client.post(f"/connectors/shopify/{SHOP}/disable")
    await ship(rt, shipped(order_id, [(1, "SOAP-LAV", "1")]))
    assert await sync(rt) == 0
    await client.post(f"/connectors/shopify/{SHOP}/enable")
    assert await sync(rt) == 1


async def test_woocommerce_shipment_is_a_customer_note_and_completes_the_order(rt, client, woo):
    shop = "shop.example.com"
    await woo_connector(client, woo, shop)
    await map_skus(client, "woocommerce", shop, {"product:93": "SOAP-LAV", "Bar3": "SOAP-ROSE"})
    woo.add_order(fixture("woocommerce", "order_created"))
    r = await deliver(client, "woocommerce", shop, woo.webhook("order.created", fixture("woocommerce", "order_created"), SECRET))
    order_id = r.json()["order_id"]
    await ship(rt, shipped(order_id, [(1, "SOAP-LAV", "2"), (2, "SOAP-ROSE", "1")], carrier="UPS",
                           tracking="1Z999AA10123456784", tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784"))
    assert await sync(rt) == 1
    (note,) = woo.calls_to("POST", r"/wp-json/wc/v3/orders/727/notes")
    assert note.json["customer_note"] is True
    assert "UPS" in note.json["note"] and "1Z999AA10123456784" in note.json["note"]
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in note.json["note"]
    (done,) = woo.calls_to("PUT", r"/wp-json/wc/v3/orders/727")
    assert done.json == {"status": "completed"}
    assert done.header("authorization").startswith("Basic ")


async def test_etsy_shipment_posts_tracking_to_the_receipt(rt, client, etsy):
    shop = "lavender-lane"
    secret = new_webhook_secret()
    await etsy_connector(client, etsy, shop, secret)
    await map_skus(client, "etsy", shop, {"LL-BUTTER-200": "BUTTER-200", "LL-BALM-ROSE": "BALM-ROSE"})
    receipt = etsy.add_receipt(fixture("etsy", "receipt_paid"))
    await deliver(client, "etsy", shop, etsy.webhook("ORDER_PAID", receipt["receipt_id"], secret))
    async with httpx.AsyncClient(timeout=5) as http:
        await fetch_due(rt, SecretBox(rt.settings.secrets_key), http)
    (env,) = await events(rt, "ChannelOrderReceived")
    await ship(rt, shipped(env.data["order_id"], [(1, "BUTTER-200", "2"), (2, "BALM-ROSE", "1")], carrier="DHL",
                           tracking="JD0146000099"))
    assert await sync(rt) == 1
    (post,) = etsy.calls_to("POST", rf"/v3/application/shops/{etsy.shop_id}/receipts/{receipt['receipt_id']}/tracking")
    assert post.json["tracking_code"] == "JD0146000099" and post.json["carrier_name"] == "dhl"
    assert etsy.receipt(receipt["receipt_id"])["is_shipped"] is True
    assert await query_scalar(rt.uow, "SELECT count(*) FROM fulfillments WHERE status = 'synced'") == 1
