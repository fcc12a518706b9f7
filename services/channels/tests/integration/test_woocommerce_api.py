"""The WooCommerce module against the WooCommerce stand-in over real HTTP: the exact requests
it makes (method, path, query, headers, JSON) and how it reports the store's failures."""

from __future__ import annotations

import base64
import copy
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from channels.platforms.base import Credentials, DeliveryKind, FulfillmentLine, FulfillmentRequest, PlatformError, ShopApi
from channels.platforms.woocommerce import WooCommerce
from devstack.shops.woocommerce import WooCommerceStandIn

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent.parent / "fixtures" / "woocommerce"
KEY, SECRET = "ck_4f1d0c2b9e", "cs_7a3e5b8d21"
BASIC = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
woo = WooCommerce()


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def store():
    with WooCommerceStandIn(KEY, SECRET) as stand_in:
        yield stand_in


@pytest.fixture
async def client():
    async with httpx.AsyncClient(timeout=5) as c:
        yield c


def api_for(store: WooCommerceStandIn, client: httpx.AsyncClient, secret: str = SECRET) -> ShopApi:
    return ShopApi(client=client, base_url=store.url, shop="acme", shop_id=None,
                   credentials=Credentials(api_key=KEY, api_secret=secret))


def shipment(complete: bool, tracking_url: str | None = "https://tracking.dpd.de/status/05212345678901") -> FulfillmentRequest:
    return FulfillmentRequest(
        fulfillment_id="f-1", external_id="727", carrier="DPD", tracking_number="05212345678901",
        tracking_url=tracking_url, complete=complete,
        lines=[FulfillmentLine(external_line_id="316", external_sku="Bar3", quantity=Decimal(1))])


async def test_fetch_order(store, client):
    store.add_order(fixture("order_created"))
    payload = await woo.fetch_order(api_for(store, client), "727")
    assert woo.parse_order(payload).lines[1].external_sku == "Bar3"
    [call] = store.calls
    assert (call.method, call.path, call.query) == ("GET", "/wp-json/wc/v3/orders/727", {})
    assert call.header("Authorization") == BASIC  # never the keys in the query string


async def test_orders_since_walks_every_page(store, client):
    since = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    base = fixture("order_created")
    for n in range(130):  # 100 per page: two pages
        at = (since + timedelta(minutes=n)).replace(tzinfo=None).isoformat()
        store.add_order({**copy.deepcopy(base), "id": 1000 + n, "number": str(1000 + n),
                         "date_modified_gmt": at, "date_modified": at})
    before = (since - timedelta(seconds=1)).replace(tzinfo=None).isoformat()
    store.add_order({**base, "id": 999, "date_modified_gmt": before, "date_modified": before})

    seen = [o async for o in woo.orders_since(api_for(store, client), since)]

    assert [o["id"] for o in seen] == [1000 + n for n in range(130)]  # the one at `since` included, 999 not
    first, second = store.calls
    assert first.path == second.path == "/wp-json/wc/v3/orders"
    expected = {"modified_after": ["2024-05-01T11:59:59"], "dates_are_gmt": ["true"], "per_page": ["100"],
                "orderby": ["modified"], "order": ["asc"]}
    assert first.query == {**expected, "page": ["1"]} and second.query == {**expected, "page": ["2"]}
    assert all(c.header("Authorization") == BASIC and c.status == 200 for c in store.calls)


async def test_no_orders_since_is_one_call(store, client):
    assert [o async for o in woo.orders_since(api_for(store, client), datetime(2030, 1, 1, tzinfo=timezone.utc))] == []
    assert len(store.calls) == 1


async def test_a_partial_shipment_is_a_note_for_the_buyer(store, client):
    store.add_order(fixture("order_created"))
    note_id = await woo.fulfill(api_for(store, client), shipment(complete=False))
    [call] = store.calls
    assert (call.method, call.path, call.status) == ("POST", "/wp-json/wc/v3/orders/727/notes", 201)
    assert call.header("Authorization") == BASIC
    assert call.json == {"note": "Shipped with DPD: tracking 05212345678901 https://tracking.dpd.de/status/05212345678901",
                         "customer_note": True}
    assert note_id == str(store.notes["727"][0]["id"])
    assert store.orders["727"]["status"] == "processing"


async def test_the_last_shipment_completes_the_order(store, client):
    store.add_order(fixture("order_created"))
    await woo.fulfill(api_for(store, client), shipment(complete=True, tracking_url=None))
    note, complete = store.calls
    assert note.json == {"note": "Shipped with DPD: tracking 05212345678901", "customer_note": True}
    assert (complete.method, complete.path, complete.json, complete.status) == (
        "PUT", "/wp-json/wc/v3/orders/727", {"status": "completed"}, 200)
    assert complete.header("Authorization") == BASIC
    assert store.orders["727"]["status"] == "completed"


async def test_failures(store, client):
    store.add_order(fixture("order_created"))
    api = api_for(store, client)
    store.fail_next(502)
    with pytest.raises(PlatformError) as bad_gateway:
        await woo.fetch_order(api, "727")
    assert (bad_gateway.value.status, bad_gateway.value.retryable) == (502, True)
    with pytest.raises(PlatformError) as missing:
        await woo.fetch_order(api, "4040")
    assert (missing.value.status, missing.value.retryable) == (404, False)
    with pytest.raises(PlatformError) as wrong_secret:
        await woo.fetch_order(api_for(store, client, secret="cs_wrong"), "727")
    assert (wrong_secret.value.status, wrong_secret.value.retryable) == (401, False)
    store.fail_next(500)
    with pytest.raises(PlatformError) as down:
        await woo.fulfill(api, shipment(complete=True))
    assert down.value.retryable is True and store.notes["727"] == []
    no_auth = await client.get(f"{store.url}/wp-json/wc/v3/orders/727")
    assert no_auth.status_code == 401
    elsewhere = await client.get(f"{store.url}/wp-json/wc/v3/products", auth=(KEY, SECRET))
    assert elsewhere.status_code == 404


def test_webhook_deliveries_and_the_ping():
    store = WooCommerceStandIn(KEY, SECRET)  # webhooks need no server
    now = datetime.now(timezone.utc)
    headers, body = store.webhook("order.updated", fixture("order_updated_cancelled"), "hook-secret")
    assert woo.verify("hook-secret", headers, body, now) is None
    assert woo.verify("other", headers, body, now) is not None
    delivery = woo.classify(headers, body)
    assert (delivery.kind, delivery.topic, delivery.external_id) == (DeliveryKind.order, "order.updated", "727")
    assert woo.parse_order(delivery.payload).cancelled is True
    again, _ = store.webhook("order.updated", fixture("order_updated_cancelled"), "hook-secret",
                             delivery_id=headers["X-WC-Webhook-Delivery-ID"])
    assert woo.classify(again, body).delivery_id == delivery.delivery_id
    ping_headers, ping_body = store.ping(webhook_id=14)
    assert woo.classify(ping_headers, ping_body).kind is DeliveryKind.ping
    assert woo.verify("hook-secret", ping_headers, ping_body, now) is not None  # unsigned: intake answers it first
