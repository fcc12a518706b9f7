"""Shop orders in, as the platforms document them: lines that are not goods, the needs-mapping
queue, unpaid and test orders, updates and cancellations judged by the platform's updated_at,
two shops with one order number, redeliveries (same and new delivery ids, concurrent), bad
signatures. Every answer to the platform is 2xx unless the delivery is not authentic."""

from __future__ import annotations

import asyncio

import pytest
from channels_testkit import SECRET, connect, count, deliver, events, fixture, map_skus, shop_order

pytestmark = pytest.mark.integration

SHOP = "acme.myshopify.com"
IPODS = {"IPOD2008GREEN": "SOAP-LAV", "IPOD2008RED": "SOAP-ROSE", "IPOD2008BLACK": "SOAP-CHAR"}


async def shopify_shop(client, shop: str = SHOP, mapping: dict | None = None) -> None:
    await connect(client, "shopify", shop)
    await map_skus(client, "shopify", shop, mapping or IPODS)


async def test_documented_order_with_gift_wrap_and_free_sample_becomes_one_order_of_our_goods(rt, client, shopify):
    await shopify_shop(client)
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create_gift_wrap_and_sample"), SECRET))
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    (env,) = await events(rt, "ChannelOrderReceived")
    data = env.data
    assert [(li["line_no"], li["sku"], li["quantity"]) for li in data["lines"]] == [(1, "SOAP-LAV", "1")]
    assert data["external_order_id"] == "450789470" and data["shop"] == SHOP
    details = data["details"]
    assert details["shop_order_number"] == "#1002" and details["currency"] == "USD"
    assert details["lines"][0]["title"] and details["lines"][0]["unit_price"]
    assert env.correlation_id == data["order_id"]


async def test_gift_order_is_addressed_to_the_recipient(rt, client, shopify):
    await shopify_shop(client)
    payload = fixture("shopify", "orders_create_gift")
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", payload, SECRET))
    assert r.json()["status"] == "accepted"
    (env,) = await events(rt, "ChannelOrderReceived")
    ship_to, buyer = env.data["details"]["ship_to"], env.data["customer"]
    assert ship_to["name"] == payload["shipping_address"]["name"] != buyer["name"]
    assert buyer["email"] == payload["email"]


async def test_unmapped_line_parks_the_order_visibly_and_a_mapping_releases_it(rt, client, shopify):
    await shopify_shop(client, mapping={"IPOD2008GREEN": "SOAP-LAV", "IPOD2008RED": "SOAP-ROSE"})
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create"), SECRET))
    assert r.status_code == 200 and r.json()["status"] == "needs_mapping"
    assert "IPOD2008BLACK" in r.json()["reason"]
    queue = (await client.get("/shop-orders", params={"status": "needs_mapping"})).json()
    assert [o["external_id"] for o in queue["items"]] == ["450789469"]
    detail = (await client.get(f"/shop-orders/{queue['items'][0]['shop_order_id']}")).json()
    assert detail["payload"]["id"] == 450789469  # the raw order, as the shop sent it
    assert await events(rt, "ChannelOrderReceived") == []

    # Mapped by the platform's variant id (the operator may not know the shop's SKUs): the
    # order proceeds by itself, once.
    await map_skus(client, "shopify", SHOP, {"variant:457924702": {"sku": "SOAP-CHAR", "per_item": 6}})
    (env,) = await events(rt, "ChannelOrderReceived")
    assert [(li["sku"], li["quantity"]) for li in env.data["lines"]] == [
        ("SOAP-LAV", "1"), ("SOAP-ROSE", "1"), ("SOAP-CHAR", "6")]
    assert (await shop_order(client, "shopify", SHOP, 450789469))["status"] == "accepted"
    await map_skus(client, "shopify", SHOP, {"IPOD2008BLACK": "SOAP-CHAR"})
    assert len(await events(rt, "ChannelOrderReceived")) == 1


async def test_unpaid_order_waits_until_paid(rt, client, shopify):
    await shopify_shop(client)
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create_pending"), SECRET))
    assert r.json()["status"] == "awaiting_payment"
    assert await events(rt, "ChannelOrderReceived") == []
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/paid", fixture("shopify", "orders_paid"), SECRET))
    assert r.json()["status"] == "accepted"
    assert len(await events(rt, "ChannelOrderReceived")) == 1


async def test_test_orders_never_start_production(rt, client, shopify):
    await shopify_shop(client)
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create_test"), SECRET))
    assert r.json()["status"] == "test"
    assert await events(rt, "ChannelOrderReceived") == []


async def test_cancellation_before_the_creation_leaves_no_live_order(rt, client, shopify):
    await shopify_shop(client)
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/cancelled", fixture("shopify", "orders_cancelled"), SECRET))
    assert r.json()["status"] == "cancelled"
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create"), SECRET))
    assert r.json()["status"] == "stale"  # older than the cancellation kept
    assert await events(rt, "ChannelOrderReceived") == [] and await events(rt, "ChannelOrderCancelled") == []


async def test_update_after_creation_is_flagged_not_applied_and_late_old_versions_are_ignored(rt, client, shopify):
    await shopify_shop(client)
    await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create"), SECRET))
    changed = fixture("shopify", "orders_updated")
    changed["line_items"][0]["quantity"] = 3
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/updated", changed, SECRET))
    assert r.json()["status"] == "accepted" and "changed at the shop" in r.json()["reason"]
    assert "changed at the shop" in (await shop_order(client, "shopify", SHOP, 450789469))["attention"]
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create"), SECRET))
    assert r.json()["status"] == "stale"
    assert len(await events(rt, "ChannelOrderReceived")) == 1


async def test_shop_cancellation_after_acceptance_is_sent_once(rt, client, shopify):
    await shopify_shop(client)
    await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create"), SECRET))
    cancel = shopify.webhook("orders/cancelled", fixture("shopify", "orders_cancelled"), SECRET)
    assert (await deliver(client, "shopify", SHOP, cancel)).json()["status"] == "cancelled"
    assert (await deliver(client, "shopify", SHOP, cancel)).json()["status"] == "duplicate"  # same delivery id
    again = shopify.webhook("orders/cancelled", fixture("shopify", "orders_cancelled"), SECRET)  # new delivery id
    assert (await deliver(client, "shopify", SHOP, again)).status_code == 200
    (env,) = await events(rt, "ChannelOrderCancelled")
    (placed,) = await events(rt, "ChannelOrderReceived")
    assert env.data["order_id"] == placed.data["order_id"] and env.data["external_order_id"] == "450789469"


async def test_two_shops_with_the_same_order_number_are_two_orders(rt, client, shopify):
    for shop in ("north.myshopify.com", "south.myshopify.com"):
        await shopify_shop(client, shop)
        r = await deliver(client, "shopify", shop, shopify.webhook("orders/create", fixture("shopify", "orders_create"), SECRET))
        assert r.json()["status"] == "accepted"
    envs = await events(rt, "ChannelOrderReceived")
    assert sorted(e.data["shop"] for e in envs) == ["north.myshopify.com", "south.myshopify.com"]
    assert len({e.data["order_id"] for e in envs}) == 2


async def test_concurrent_redeliveries_make_one_order(rt, client, shopify):
    await shopify_shop(client)
    payload = fixture("shopify", "orders_create")
    same_id = shopify.webhook("orders/create", payload, SECRET)
    deliveries = [same_id, same_id] + [shopify.webhook("orders/create", payload, SECRET) for _ in range(4)]
    answers = await asyncio.gather(*(deliver(client, "shopify", SHOP, d) for d in deliveries))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert len(await events(rt, "ChannelOrderReceived")) == 1
    assert (await shop_order(client, "shopify", SHOP, 450789469))["status"] == "accepted"


async def test_bad_or_missing_signatures_are_401_and_store_nothing(rt, client, shopify):
    await shopify_shop(client)
    headers, body = shopify.webhook("orders/create", fixture("shopify", "orders_create"), "wrong-secret-123")
    assert (await deliver(client, "shopify", SHOP, (headers, body))).status_code == 401
    del headers["X-Shopify-Hmac-Sha256"]
    assert (await deliver(client, "shopify", SHOP, (headers, body))).status_code == 401
    assert await count(rt, "shop_orders") == 0 and await count(rt, "deliveries") == 0


async def test_connector_without_a_secret_refuses_deliveries(rt, client, shopify):
    await connect(client, "shopify", SHOP, secret=None)
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create"), SECRET))
    assert r.status_code == 401 and "no webhook secret" in r.json()["detail"]
    assert await count(rt, "shop_orders") == 0


async def test_order_without_usable_email_goes_to_review(rt, client, shopify):
    await shopify_shop(client)
    payload = fixture("shopify", "orders_create", email="not-an-email", contact_email=None)
    payload["customer"] = {**(payload.get("customer") or {}), "email": None}
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", payload, SECRET))
    assert r.status_code == 200 and r.json()["status"] == "needs_review" and "e-mail" in r.json()["reason"]
    assert await events(rt, "ChannelOrderReceived") == []
