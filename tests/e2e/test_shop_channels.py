"""Shop orders end to end, one platform at a time, every service its own process: the
platform's signed webhook through the gateway's public door -> the channels service maps it
-> an order in orders -> allocated from stock -> shipped by the operator -> the platform's
own API told, in its documented shape, on its local stand-in. And an order whose webhook
never came, recovered by reconciliation exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from devstack.shops.etsy import EtsyStandIn, new_webhook_secret
from devstack.shops.shopify import ShopifyStandIn
from devstack.shops.woocommerce import WooCommerceStandIn
from flows import ship, tag, wait_status
from harness import client, ok
from shops import (
    SECRET, accepted_order_id, connect, deliver, fixture, form, lines_of, listed_in_orders, map_skus, stocked,
    synced, token_expiry,
)

pytestmark = pytest.mark.e2e


async def test_shopify_order_is_made_from_stock_shipped_and_fulfilled_at_shopify(system):
    t = tag()
    soap, balm, shop = f"SOAP-{t}", f"BALM-{t}", f"e2e-{t.lower()}.myshopify.com"
    # orders/create as documented: three line items; the third we do not sell (mapped as not goods).
    payload = fixture("shopify", "orders_create", email=f"bob-{t}@example.com")
    with ShopifyStandIn(token=f"shpat_{t}", shop_domain=shop) as shopify:
        shopify.add_order(payload)
        async with client(system) as c:
            await stocked(c, soap, "10")
            await stocked(c, balm, "10")
            await connect(c, "shopify", shop, admin_url=shopify.url, webhook_secret=SECRET, admin_token=shopify.token)
            await map_skus(c, "shopify", shop, {
                "IPOD2008GREEN": soap,
                "variant:49148385": {"sku": balm, "per_item": "2"},  # one shop item = 2 of ours
                "variant:457924702": {"ignore": True},
            })

            answer = await deliver(system, "shopify", shop, shopify.webhook("orders/create", payload, SECRET))
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "accepted"
            order_id = answer.json()["order_id"]

            await listed_in_orders(c, "shopify", order_id)
            await wait_status(c, order_id, "ready_to_ship")
            assert await lines_of(c, order_id) == {soap: 1, balm: 2}
            shipment = await ship(c, order_id, carrier="DHL")
            await synced(c, order_id)

    api = r"/admin/api/[^/]+"
    assert shopify.calls_to("GET", rf"{api}/orders/{payload['id']}/fulfillment_orders\.json")
    [post] = shopify.calls_to("POST", rf"{api}/fulfillments\.json")
    assert post.header("X-Shopify-Access-Token") == f"shpat_{t}"
    sent = post.json["fulfillment"]
    [fo] = shopify.fulfillment_orders[str(payload["id"])]
    fo_line = {line["line_item_id"]: line["id"] for line in fo["line_items"]}
    [group] = sent["line_items_by_fulfillment_order"]
    assert group["fulfillment_order_id"] == fo["id"]
    # What shipped, in shop items: the soap line and the 2-for-1 balm line; not the ignored one.
    assert sorted((li["id"], li["quantity"]) for li in group["fulfillment_order_line_items"]) == sorted(
        [(fo_line[466157049], 1), (fo_line[518995019], 1)])
    assert sent["tracking_info"]["number"] == shipment["tracking_no"]
    assert sent["tracking_info"]["company"] == "DHL Express"  # Shopify's own name for the carrier
    assert shopify.orders[str(payload["id"])]["fulfillment_status"] == "partial"  # the ignored line stays open


async def test_woocommerce_order_is_shipped_and_the_store_completes_it(system):
    t = tag()
    soap, bar, shop = f"SOAP-{t}", f"BAR-{t}", f"woo-{t.lower()}.example.com"
    # order.created as documented: line 1 has no SKU (mapped by product id), line 2 "Bar3".
    payload = fixture("woocommerce", "order_created")
    payload["billing"] = {**payload["billing"], "email": f"john-{t}@example.com"}
    with WooCommerceStandIn(consumer_key=f"ck_{t}", consumer_secret=f"cs_{t}") as woo:
        woo.add_order(payload)
        async with client(system) as c:
            await stocked(c, soap, "10")
            await stocked(c, bar, "10")
            await connect(c, "woocommerce", shop, admin_url=woo.url, webhook_secret=SECRET,
                          api_key=woo.consumer_key, api_secret=woo.consumer_secret)
            await map_skus(c, "woocommerce", shop, {"product:93": soap, "Bar3": bar})

            answer = await deliver(system, "woocommerce", shop, woo.webhook("order.created", payload, SECRET))
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "accepted"
            order_id = answer.json()["order_id"]

            await listed_in_orders(c, "woocommerce", order_id)
            await wait_status(c, order_id, "ready_to_ship")
            assert await lines_of(c, order_id) == {soap: 2, bar: 1}
            shipment = await ship(c, order_id, carrier="DHL")
            await synced(c, order_id)

    order = rf"/wp-json/wc/v3/orders/{payload['id']}"
    [note] = woo.calls_to("POST", rf"{order}/notes")
    assert note.json["customer_note"] is True  # WooCommerce e-mails it to the buyer
    assert shipment["tracking_no"] in note.json["note"] and "DHL" in note.json["note"]
    [complete] = woo.calls_to("PUT", order)
    assert complete.json == {"status": "completed"}
    assert woo.orders[str(payload["id"])]["status"] == "completed"


async def test_a_shop_line_under_one_of_our_skus_needs_no_mapping(system):
    """A maker whose shop uses the production SKUs (here in lower case) maps nothing: channels
    knows the catalog from inventory's ItemDefined and the order is made from stock."""
    t = tag()
    balm, shop = f"BALM-{t}", f"woo-own-{t.lower()}.example.com"
    payload = fixture("woocommerce", "order_created")
    payload["line_items"] = [{**payload["line_items"][1], "sku": balm.lower(), "quantity": 2, "name": "Lip balm"}]
    with WooCommerceStandIn(consumer_key=f"ck_{t}", consumer_secret=f"cs_{t}") as woo:
        async with client(system) as c:
            await stocked(c, balm, "10")
            await connect(c, "woocommerce", shop, webhook_secret=SECRET)
            answer = await deliver(system, "woocommerce", shop, woo.webhook("order.created", payload, SECRET))
            assert answer.status_code == 200, answer.text
            # Accepted at once, or parked for the moment the catalog reaches channels and then released.
            order_id = await accepted_order_id(c, "woocommerce", shop, payload["id"])
            await listed_in_orders(c, "woocommerce", order_id)
            assert await lines_of(c, order_id) == {balm: 2}
            await wait_status(c, order_id, "ready_to_ship")
            rows = (await ok(await c.get("/api/shop-orders", params={"channel": "woocommerce", "shop": shop})))["items"]
            view = await ok(await c.get(f"/api/shop-orders/{rows[0]['shop_order_id']}"))
            assert [(line["sku"], line["matched_on"]) for line in view["lines"]] == [(balm, "catalog")]
            # The order's own page shows the shop's line beside ours and how it mapped.
            page = await ok(await c.get(f"/api/orders/{order_id}"))
            assert [(li["external_sku"], li["sku"], li["matched_on"]) for li in page["shop_order"]["lines"]] == [
                (balm.lower(), balm, "catalog")]


async def test_etsy_paid_notice_is_fetched_shipped_and_tracked_at_etsy(system):
    t = tag()
    butter, balm, shop = f"BUTTER-{t}", f"BALM-{t}", f"etsy-{t.lower()}"
    receipt = fixture("etsy", "receipt_paid", buyer_email=f"marie-{t}@example.com")
    receipt_id = receipt["receipt_id"]
    secret = new_webhook_secret()
    with EtsyStandIn() as etsy:
        etsy.add_receipt(receipt)
        tokens = etsy.issue_tokens()
        async with client(system) as c:
            await stocked(c, butter, "10")
            await stocked(c, balm, "10")
            await connect(c, "etsy", shop, admin_url=etsy.url, webhook_secret=secret, shop_id=str(etsy.shop_id),
                          api_key=etsy.keystring, api_secret=etsy.shared_secret,
                          access_token=tokens["access_token"], refresh_token=tokens["refresh_token"],
                          token_expires_at=token_expiry(tokens["expires_in"]))
            await map_skus(c, "etsy", shop, {"LL-BUTTER-200": butter, "LL-BALM-ROSE": balm})

            # ORDER_PAID names the receipt only; the channels service fetches it in the background.
            answer = await deliver(system, "etsy", shop, etsy.webhook("ORDER_PAID", receipt_id, secret))
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "queued"
            order_id = await accepted_order_id(c, "etsy", shop, receipt_id)

            await listed_in_orders(c, "etsy", order_id)
            await wait_status(c, order_id, "ready_to_ship")
            assert await lines_of(c, order_id) == {butter: 2, balm: 1}
            shipment = await ship(c, order_id, carrier="DHL")
            await synced(c, order_id)

    receipts = rf"/v3/application/shops/{etsy.shop_id}/receipts/{receipt_id}"
    # Read by the fetch job, and again before the tracking is sent (is it still open?).
    fetch = etsy.calls_to("GET", receipts)[0]
    assert fetch.header("x-api-key") == etsy.api_key and fetch.header("authorization").startswith("Bearer ")
    [tracking] = etsy.calls_to("POST", rf"{receipts}/tracking")
    sent = form(tracking)
    assert sent["tracking_code"] == shipment["tracking_no"] and sent["carrier_name"] == "dhl"
    assert etsy.receipt(receipt_id)["is_shipped"] is True


async def test_an_order_whose_webhook_was_lost_is_imported_once_by_reconciliation(system):
    t = tag()
    soap, bar, shop = f"SOAP-{t}", f"BAR-{t}", f"woo-lost-{t.lower()}.example.com"
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0).isoformat()
    payload = fixture("woocommerce", "order_created", id=9100, number="9100", date_modified=now,
                      date_modified_gmt=now)
    payload["billing"] = {**payload["billing"], "email": f"lost-{t}@example.com"}
    with WooCommerceStandIn(consumer_key=f"ck_{t}", consumer_secret=f"cs_{t}") as woo:
        woo.add_order(payload)  # in the store; its webhook never reached us
        async with client(system) as c:
            await stocked(c, soap, "5")
            await stocked(c, bar, "5")
            await connect(c, "woocommerce", shop, admin_url=woo.url, webhook_secret=SECRET,
                          api_key=woo.consumer_key, api_secret=woo.consumer_secret)
            await map_skus(c, "woocommerce", shop, {"product:93": soap, "Bar3": bar})

            since = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
            path = f"/api/connectors/woocommerce/{shop}/reconcile"
            first = await ok(await c.post(path, json={"since": since}))
            again = await ok(await c.post(path, json={"since": since}))
            assert first["seen"] == again["seen"] == 1
            assert first["outcomes"] == again["outcomes"] == {"accepted": 1}

            order_id = await accepted_order_id(c, "woocommerce", shop, payload["id"])
            # Accepted by channels is not yet known to orders (ChannelOrderReceived is a hop
            # away): until orders consumed it, the order's page is a 404.
            [listed] = await listed_in_orders(c, "woocommerce", order_id)
            assert listed["order_id"] == order_id
            view = await wait_status(c, order_id, "ready_to_ship")
            page = await ok(await c.get("/api/shop-orders", params={"channel": "woocommerce", "shop": shop}))
            assert page["total"] == 1
            assert [e["event_type"] for e in view["order"]["timeline"]].count("OrderPlaced") == 1
            # Allocated once: 2 + 1 of the 5 + 5 on hand, not twice that.
            assert sum(Decimal(str(a["quantity"])) for a in view["allocations"]) == 3

