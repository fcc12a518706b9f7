"""The Shopify module against the Shopify stand-in over real HTTP: the exact requests it
makes (method, path, query, headers, JSON) and how it reports the shop's failures."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from channels.platforms.base import Credentials, DeliveryKind, FulfillmentLine, FulfillmentRequest, PlatformError, ShopApi
from channels.platforms.shopify import Shopify
from devstack.shops.shopify import ShopifyStandIn

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent.parent / "fixtures" / "shopify"
TOKEN = "shpat_0123456789abcdef"
VERSION = "2025-07"
ORDER = "450789469"
shopify = Shopify()


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def shop():
    with ShopifyStandIn(TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
async def client():
    async with httpx.AsyncClient(timeout=5) as c:
        yield c


def api_for(shop: ShopifyStandIn, client: httpx.AsyncClient, token: str = TOKEN) -> ShopApi:
    return ShopApi(client=client, base_url=shop.url, shop="acme", shop_id=None,
                   credentials=Credentials(admin_token=token), api_version=VERSION)


def shipment(*lines: tuple[str, int], tracking: str = "JD014600006281140811", complete: bool = False) -> FulfillmentRequest:
    return FulfillmentRequest(
        fulfillment_id="f-1", external_id=ORDER, carrier="DHL", tracking_number=tracking,
        tracking_url=f"https://www.dhl.com/track?id={tracking}", complete=complete,
        lines=[FulfillmentLine(external_line_id=line_id, external_sku="", quantity=Decimal(q)) for line_id, q in lines])


async def test_fetch_order(shop, client):
    shop.add_order(fixture("orders_create"))
    payload = await shopify.fetch_order(api_for(shop, client), ORDER)
    assert shopify.parse_order(payload).reference == "#1001"
    [call] = shop.calls
    assert (call.method, call.path, call.query) == ("GET", f"/admin/api/{VERSION}/orders/{ORDER}.json", {})
    assert call.header("X-Shopify-Access-Token") == TOKEN


async def test_orders_since_follows_the_link_header_across_pages(shop, client):
    since = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    base = fixture("orders_create")
    for n in range(260):  # 250 per page: two pages
        order = {**copy.deepcopy(base), "id": 5_000_000 + n, "name": f"#{2000 + n}",
                 "updated_at": (since + timedelta(minutes=n)).isoformat()}
        if n == 7:
            order["cancelled_at"] = order["updated_at"]  # reconciliation must see cancellations too
        shop.add_order(order)
    shop.add_order({**base, "id": 4_999_999, "updated_at": (since - timedelta(seconds=1)).isoformat()})

    seen = [o async for o in shopify.orders_since(api_for(shop, client), since)]

    assert [o["id"] for o in seen] == [5_000_000 + n for n in range(260)]
    first, second = shop.calls
    assert first.path == second.path == f"/admin/api/{VERSION}/orders.json"
    assert first.query == {"updated_at_min": ["2024-05-01T12:00:00+00:00"], "status": ["any"], "limit": ["250"]}
    assert set(second.query) == {"page_info", "limit"}  # the Link URL as given, filters not repeated
    assert all(c.header("X-Shopify-Access-Token") == TOKEN and c.status == 200 for c in shop.calls)


async def test_fulfill_everything(shop, client):
    shop.add_order(fixture("orders_create"))
    fulfillment_id = await shopify.fulfill(
        api_for(shop, client), shipment(("466157049", 1), ("518995019", 1), ("703073504", 1), complete=True))

    get_done, get_fos, post = shop.calls
    assert (get_done.method, get_done.path) == ("GET", f"/admin/api/{VERSION}/orders/{ORDER}/fulfillments.json")
    assert (get_fos.method, get_fos.path) == ("GET", f"/admin/api/{VERSION}/orders/{ORDER}/fulfillment_orders.json")
    assert (post.method, post.path, post.status) == ("POST", f"/admin/api/{VERSION}/fulfillments.json", 201)
    assert post.header("X-Shopify-Access-Token") == TOKEN
    assert post.header("Content-Type") == "application/json"
    [fo] = shop.fulfillment_orders[ORDER]
    assert post.json == {"fulfillment": {
        "line_items_by_fulfillment_order": [{
            "fulfillment_order_id": fo["id"],
            "fulfillment_order_line_items": [{"id": line["id"], "quantity": 1} for line in fo["line_items"]],
        }],
        "tracking_info": {"number": "JD014600006281140811", "company": "DHL Express",
                          "url": "https://www.dhl.com/track?id=JD014600006281140811"},
        "notify_customer": True,
    }}
    assert fulfillment_id == str(shop.fulfillments[ORDER][0]["id"])
    assert fo["status"] == "closed" and shop.orders[ORDER]["fulfillment_status"] == "fulfilled"


async def test_partial_shipments_send_only_what_shipped(shop, client):
    order = fixture("orders_create")
    order["line_items"][0]["quantity"] = 3
    shop.add_order(order)
    api = api_for(shop, client)
    [fo] = shop.fulfillment_orders[ORDER]
    green = fo["line_items"][0]

    await shopify.fulfill(api, shipment(("466157049", 2), tracking="1Z999AA10123456784"))
    assert shop.calls[-1].json["fulfillment"]["line_items_by_fulfillment_order"] == [
        {"fulfillment_order_id": fo["id"], "fulfillment_order_line_items": [{"id": green["id"], "quantity": 2}]}]
    assert (fo["status"], green["fulfillable_quantity"]) == ("in_progress", 1)
    assert shop.orders[ORDER]["fulfillment_status"] == "partial"

    await shopify.fulfill(api, shipment(("466157049", 1), ("518995019", 1), ("703073504", 1), tracking="1Z999AA10123456785"))
    assert [i["quantity"] for i in shop.calls[-1].json["fulfillment"]["line_items_by_fulfillment_order"][0]
            ["fulfillment_order_line_items"]] == [1, 1, 1]
    assert fo["status"] == "closed" and len(shop.fulfillments[ORDER]) == 2


async def test_a_retry_after_a_lost_answer_does_not_fulfill_twice(shop, client):
    shop.add_order(fixture("orders_create"))
    api = api_for(shop, client)
    first = await shopify.fulfill(api, shipment(("466157049", 1)))
    again = await shopify.fulfill(api, shipment(("466157049", 1)))
    assert again == first
    assert len(shop.calls_to("POST", r".*/fulfillments\.json")) == 1


async def test_lines_at_two_locations_are_two_fulfillments(shop, client):
    shop.add_order(fixture("orders_create"), locations={703073504: 48752903})
    ids = await shopify.fulfill(api_for(shop, client), shipment(("466157049", 1), ("703073504", 1)))
    posts = shop.calls_to("POST", r".*/fulfillments\.json")
    assert len(posts) == 2 and ids.split(",") == [str(f["id"]) for f in shop.fulfillments[ORDER]]


async def test_more_than_is_left_is_refused(shop, client):
    shop.add_order(fixture("orders_create"))
    api = api_for(shop, client)
    with pytest.raises(PlatformError) as ours:  # caught before asking Shopify
        await shopify.fulfill(api, shipment(("466157049", 2)))
    assert ours.value.retryable is False
    [fo] = shop.fulfillment_orders[ORDER]
    resp = await client.post(f"{shop.url}/admin/api/{VERSION}/fulfillments.json", headers={"X-Shopify-Access-Token": TOKEN},
                             json={"fulfillment": {"line_items_by_fulfillment_order": [{
                                 "fulfillment_order_id": fo["id"],
                                 "fulfillment_order_line_items": [{"id": fo["line_items"][0]["id"], "quantity": 2}]}]}})
    assert resp.status_code == 422  # and Shopify refuses it too
    assert fo["line_items"][0]["fulfillable_quantity"] == 1


async def test_failures(shop, client):
    shop.add_order(fixture("orders_create"))
    api = api_for(shop, client)
    shop.fail_next(503)
    with pytest.raises(PlatformError) as unavailable:
        await shopify.fetch_order(api, ORDER)
    assert (unavailable.value.status, unavailable.value.retryable) == (503, True)
    with pytest.raises(PlatformError) as missing:
        await shopify.fetch_order(api, "1")
    assert (missing.value.status, missing.value.retryable) == (404, False)
    with pytest.raises(PlatformError) as wrong_token:
        await shopify.fetch_order(api_for(shop, client, token="shpat_wrong"), ORDER)
    assert (wrong_token.value.status, wrong_token.value.retryable) == (401, False)
    shop.fail_next(429)
    with pytest.raises(PlatformError) as throttled:
        await shopify.fulfill(api, shipment(("466157049", 1)))
    assert throttled.value.retryable is True and not shop.fulfillments[ORDER]


async def test_an_unreachable_shop_is_worth_retrying(client):
    shop = ShopifyStandIn(TOKEN).start()
    shop.stop()
    with pytest.raises(PlatformError) as refused:
        await shopify.fetch_order(api_for(shop, client), ORDER)
    assert refused.value.retryable is True


def test_webhook_deliveries_verify_and_classify():
    shop = ShopifyStandIn(TOKEN)  # webhooks need no server
    headers, body = shop.webhook("orders/create", fixture("orders_create"), "app-secret")
    assert shopify.verify("app-secret", headers, body, datetime.now(timezone.utc)) is None
    assert shopify.verify("other-secret", headers, body, datetime.now(timezone.utc)) is not None
    delivery = shopify.classify(headers, body)
    assert (delivery.kind, delivery.external_id) == (DeliveryKind.order, ORDER)
    again_headers, _ = shop.webhook("orders/create", fixture("orders_create"), "app-secret",
                                    delivery_id=headers["X-Shopify-Webhook-Id"])
    assert shopify.classify(again_headers, body).delivery_id == delivery.delivery_id
    fresh_headers, _ = shop.webhook("orders/create", fixture("orders_create"), "app-secret")
    assert shopify.classify(fresh_headers, body).delivery_id != delivery.delivery_id
