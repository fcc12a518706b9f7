"""The Etsy module against the Etsy stand-in over real HTTP: tokens, receipts, paging, tracking.
No database or broker: the module holds no state, so none is needed."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from channels.platforms.base import Credentials, FulfillmentLine, FulfillmentRequest, PlatformError, ShopApi
from channels.platforms.etsy import Etsy
from devstack.shops.etsy import EtsyStandIn, new_webhook_secret

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "fixtures" / "etsy"
RECEIPTS = r"/v3/application/shops/\d+/receipts"
TOKEN = "/v3/public/oauth/token"
etsy = Etsy()


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def shop():
    stand_in = EtsyStandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
async def client():
    async with httpx.AsyncClient(timeout=5.0) as c:
        yield c


@pytest.fixture
def kept() -> list[Credentials]:
    """What the connector was told to keep after each refresh."""
    return []


@pytest.fixture
def api(shop, client, kept) -> ShopApi:
    tokens = shop.issue_tokens()

    async def keep(creds: Credentials) -> None:
        kept.append(creds)

    creds = Credentials(api_key=shop.keystring, api_secret=shop.shared_secret,
                        access_token=tokens["access_token"], refresh_token=tokens["refresh_token"],
                        token_expires_at=datetime.now(UTC) + timedelta(seconds=tokens["expires_in"]))
    return ShopApi(client=client, base_url=shop.url, shop="lavender-lane", shop_id=str(shop.shop_id),
                   credentials=creds, on_credentials_changed=keep)


def request_for(receipt_id: str, **changes) -> FulfillmentRequest:
    base = FulfillmentRequest(
        fulfillment_id="f-1", external_id=receipt_id,
        lines=[FulfillmentLine("4567890123", "LL-BUTTER-200", Decimal(2))],
        carrier="DHL", tracking_number="00340434161094042557", tracking_url=None, complete=True)
    return replace(base, **changes)


# -- fetching a receipt ------------------------------------------------------------------------------
async def test_a_receipt_is_fetched_with_the_api_key_and_the_bearer_token(shop, api, kept):
    receipt = shop.add_receipt(fixture("receipt_paid.json"))
    got = await etsy.fetch_order(api, "3456789012")
    assert got == receipt
    (call,) = shop.calls
    assert (call.method, call.path, call.status) == ("GET", f"/v3/application/shops/{shop.shop_id}/receipts/3456789012", 200)
    assert call.header("x-api-key") == f"{shop.keystring}:{shop.shared_secret}"
    assert call.header("authorization") == f"Bearer {api.credentials.access_token}"
    assert kept == []
    assert etsy.parse_order(got).lines[0].external_sku == "LL-BUTTER-200"


async def test_an_expired_token_is_refreshed_once_rotated_kept_and_the_call_made_with_the_new_one(shop, api, kept):
    shop.add_receipt(fixture("receipt_paid.json"))
    old = api.credentials
    shop.expire_access_tokens()
    api.credentials = replace(old, token_expires_at=datetime.now(UTC) - timedelta(minutes=1))

    await etsy.fetch_order(api, "3456789012")

    token_call, get_call = shop.calls
    assert (token_call.method, token_call.path, token_call.status) == ("POST", TOKEN, 200)
    assert token_call.header("content-type") == "application/x-www-form-urlencoded"
    assert parse_qs(token_call.body.decode()) == {
        "grant_type": ["refresh_token"], "client_id": [shop.keystring], "refresh_token": [old.refresh_token]}
    (new,) = kept
    assert new.access_token != old.access_token and new.refresh_token != old.refresh_token
    assert new.refresh_token in shop.refresh_tokens and old.refresh_token not in shop.refresh_tokens
    assert timedelta(minutes=59) < new.token_expires_at - datetime.now(UTC) <= timedelta(hours=1)
    assert (new.api_key, new.api_secret) == (old.api_key, old.api_secret)
    assert api.credentials == new
    assert (get_call.status, get_call.header("authorization")) == (200, f"Bearer {new.access_token}")


async def test_a_token_etsy_refuses_before_its_time_is_refreshed_after_the_401_and_the_call_retried(shop, api, kept):
    shop.add_receipt(fixture("receipt_paid.json"))
    shop.expire_access_tokens()  # our clock says it is still good

    await etsy.fetch_order(api, "3456789012")

    assert [(c.method, c.path.rsplit("/", 1)[-1], c.status) for c in shop.calls] == [
        ("GET", "3456789012", 401), ("POST", "token", 200), ("GET", "3456789012", 200)]
    assert len(kept) == 1


async def test_the_old_refresh_token_is_refused_after_rotation(shop, api, client):
    old = api.credentials.refresh_token
    api.credentials = replace(api.credentials, access_token=None)
    shop.add_receipt(fixture("receipt_paid.json"))
    await etsy.fetch_order(api, "3456789012")
    again = await client.post(f"{shop.url}{TOKEN}", data={
        "grant_type": "refresh_token", "client_id": shop.keystring, "refresh_token": old})
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


async def test_a_revoked_refresh_token_is_a_final_error_and_nothing_is_kept(shop, api, kept):
    shop.refresh_tokens.clear()  # the seller revoked the app
    shop.expire_access_tokens()
    with pytest.raises(PlatformError) as err:
        await etsy.fetch_order(api, "3456789012")
    assert (err.value.status, err.value.retryable) == (400, False)
    assert kept == []
    assert [c.status for c in shop.calls] == [401, 400]  # no third try


async def test_a_401_that_is_not_about_the_token_is_not_refreshed(shop, api, kept):
    api.credentials = replace(api.credentials, api_secret="wrong")
    with pytest.raises(PlatformError) as err:
        await etsy.fetch_order(api, "3456789012")
    assert (err.value.status, err.value.retryable) == (403, False)
    assert [c.path for c in shop.calls] == [f"/v3/application/shops/{shop.shop_id}/receipts/3456789012"]
    assert kept == []


# -- reconciliation --------------------------------------------------------------------------------
async def test_receipts_modified_since_are_listed_oldest_first_across_pages(shop, api):
    since = datetime(2026, 3, 1, tzinfo=UTC)
    start = int(since.timestamp())
    template = fixture("receipt_paid.json")
    for n in range(230):
        receipt = copy.deepcopy(template)
        # Half are older than `since`; ids do not follow update order.
        receipt.update(receipt_id=5000000000 + (n * 7919) % 230, updated_timestamp=start - 115 * 60 + n * 60)
        shop.add_receipt(receipt)

    got = [r async for r in etsy.orders_since(api, since)]

    assert len(got) == 115
    times = [r["updated_timestamp"] for r in got]
    assert times == sorted(times) and times[0] == start
    pages = shop.calls_to("GET", RECEIPTS)
    assert [c.query for c in pages] == [
        {"min_last_modified": [str(start)], "limit": ["100"], "offset": [str(offset)],
         "sort_on": ["updated"], "sort_order": ["asc"]} for offset in (0, 100)]


async def test_nothing_modified_since_is_one_empty_page(shop, api):
    got = [r async for r in etsy.orders_since(api, datetime(2026, 3, 1, tzinfo=UTC))]
    assert got == [] and len(shop.calls) == 1


# -- fulfillment -----------------------------------------------------------------------------------
async def test_tracking_is_posted_as_etsy_documents_it_and_the_receipt_is_shipped(shop, api):
    shop.add_receipt(fixture("receipt_paid.json"))

    shipping_id = await etsy.fulfill(api, request_for("3456789012"))

    post = shop.calls[-1]
    assert (post.method, post.path, post.status) == (
        "POST", f"/v3/application/shops/{shop.shop_id}/receipts/3456789012/tracking", 200)
    assert post.header("content-type") == "application/json"
    assert post.header("x-api-key") == f"{shop.keystring}:{shop.shared_secret}"
    assert post.header("authorization") == f"Bearer {api.credentials.access_token}"
    assert post.json == fixture("create_receipt_shipment_request.json")
    receipt = shop.receipt(3456789012)
    assert (receipt["is_shipped"], receipt["status"]) == (True, "completed")
    (shipment,) = receipt["shipments"]
    assert (shipment["carrier_name"], shipment["tracking_code"]) == ("dhl", "00340434161094042557")
    assert shipping_id == str(shipment["receipt_shipping_id"])


async def test_a_local_courier_goes_as_other_with_its_tracking_link_in_the_note(shop, api):
    shop.add_receipt(fixture("receipt_paid.json"))
    await etsy.fulfill(api, request_for("3456789012", carrier="Local courier", tracking_number="LC-0042",
                                        tracking_url="https://courier.example/t/LC-0042"))
    assert shop.calls[-1].json == {"tracking_code": "LC-0042", "carrier_name": "other", "send_bcc": False,
                                   "note_to_buyer": "Track your parcel: https://courier.example/t/LC-0042"}


async def test_a_retried_fulfillment_does_not_post_the_same_tracking_twice(shop, api):
    shop.add_receipt(fixture("receipt_paid.json"))
    first = await etsy.fulfill(api, request_for("3456789012"))
    again = await etsy.fulfill(api, request_for("3456789012"))
    assert again == first
    assert len(shop.calls_to("POST", RECEIPTS + r"/\d+/tracking")) == 1
    assert len(shop.receipt(3456789012)["shipments"]) == 1


@pytest.mark.parametrize("fail", ["read", "post"])
async def test_a_server_error_is_retryable(shop, api, fail):
    shop.add_receipt(fixture("receipt_paid.json"))
    if fail == "read":
        shop.fail_next(503)
    else:
        shop.tracking_failures.append(502)
    with pytest.raises(PlatformError) as err:
        await etsy.fulfill(api, request_for("3456789012"))
    assert (err.value.status, err.value.retryable) == ((503, True) if fail == "read" else (502, True))
    assert shop.receipt(3456789012)["shipments"] == []
    # The next attempt goes through and posts exactly once.
    await etsy.fulfill(api, request_for("3456789012"))
    assert len(shop.receipt(3456789012)["shipments"]) == 1


async def test_tracking_for_a_canceled_receipt_is_refused(shop, api):
    shop.add_receipt(fixture("receipt_canceled.json"))
    with pytest.raises(PlatformError) as err:
        await etsy.fulfill(api, request_for("3456789012"))
    assert err.value.status == 409


async def test_a_request_etsy_refuses_is_not_retryable(shop, api):
    with pytest.raises(PlatformError) as err:
        await etsy.fulfill(api, request_for("3456789099"))  # no such receipt
    assert (err.value.status, err.value.retryable) == (404, False)


async def test_a_refused_connection_is_retryable(api):
    api.base_url = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(PlatformError) as err:
        await etsy.fetch_order(api, "3456789012")
    assert err.value.retryable is True


async def test_an_unregistered_endpoint_is_404_at_the_stand_in(shop, api, client):
    resp = await client.get(f"{shop.url}/v3/application/shops/{shop.shop_id}/receipts/1/transactions")
    assert resp.status_code == 404


# -- the webhook the stand-in sends, taken in by the module ----------------------------------------------
async def test_a_stand_in_webhook_verifies_classifies_and_names_a_receipt_that_fetches(shop, api):
    shop.add_receipt(fixture("receipt_paid.json"))
    secret = new_webhook_secret()
    headers, body = shop.webhook("order.paid", 3456789012, secret, msg_id="msg_abc")
    assert etsy.verify(secret, headers, body, datetime.now(UTC)) is None
    delivery = etsy.classify(headers, body)
    assert (delivery.delivery_id, delivery.external_id) == ("msg_abc", "3456789012")
    order = etsy.parse_order(await etsy.fetch_order(api, delivery.external_id))
    assert (order.external_id, order.paid) == ("3456789012", True)
    stale_headers, stale_body = shop.webhook("order.paid", 3456789012, secret,
                                             timestamp=int(datetime.now(UTC).timestamp()) - 600)
    assert etsy.verify(secret, stale_headers, stale_body, datetime.now(UTC)) is not None
