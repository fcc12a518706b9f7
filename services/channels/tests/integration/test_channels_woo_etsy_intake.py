"""WooCommerce and Etsy orders in, as their docs describe them: WooCommerce's unsigned
webhook-creation ping, its order statuses (pending -> processing -> cancelled / refunded),
free sample lines; Etsy's thin ORDER_PAID notice (Standard Webhooks signature) followed by a
fetch of the receipt through Open API v3 with an OAuth token refreshed when it expired."""

from __future__ import annotations

import pytest
from channels_testkit import (
    SECRET, count, deliver, etsy_connector, events, fixture, map_skus, shop_order, woo_connector,
)

import httpx

from channels.order_import import fetch_due
from channels.secrets import SecretBox
from devstack.shops.etsy import new_webhook_secret
from devstack.testing import query_scalar

pytestmark = pytest.mark.integration

WOO = "shop.example.com"
WOO_MAP = {"product:93": "SOAP-LAV", "Bar3": {"sku": "SOAP-ROSE", "per_item": 2}}
ETSY = "lavender-lane"
ETSY_MAP = {"LL-BUTTER-200": "BUTTER-200", "LL-BALM-ROSE": "BALM-ROSE"}


async def woo_shop(client, woo):
    await woo_connector(client, woo, WOO)
    await map_skus(client, "woocommerce", WOO, WOO_MAP)


async def test_woocommerce_ping_is_answered_and_creates_nothing(rt, client, woo):
    await woo_shop(client, woo)
    r = await deliver(client, "woocommerce", WOO, woo.ping())
    assert r.status_code == 200 and r.json()["status"] == "ping"
    assert await count(rt, "shop_orders") == 0 and await count(rt, "deliveries") == 0


async def test_woocommerce_sample_sachet_is_not_goods_and_sku_less_line_maps_by_product(rt, client, woo):
    await woo_shop(client, woo)
    r = await deliver(client, "woocommerce", WOO, woo.webhook("order.created", fixture("woocommerce", "order_created_free_sample"), SECRET))
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    (env,) = await events(rt, "ChannelOrderReceived")
    assert [(li["line_no"], li["sku"], li["quantity"]) for li in env.data["lines"]] == [
        (1, "SOAP-LAV", "2"), (2, "SOAP-ROSE", "2")]
    assert env.data["details"]["shop_order_number"] == "729"


async def test_woocommerce_pending_waits_then_processing_goes_then_cancelled_cancels(rt, client, woo):
    await woo_shop(client, woo)
    r = await deliver(client, "woocommerce", WOO, woo.webhook("order.created", fixture("woocommerce", "order_created_pending"), SECRET))
    assert r.json()["status"] == "awaiting_payment"
    r = await deliver(client, "woocommerce", WOO, woo.webhook("order.updated", fixture("woocommerce", "order_updated_paid"), SECRET))
    assert r.json()["status"] == "accepted"
    cancelled = fixture("woocommerce", "order_updated_cancelled", id=730, date_modified_gmt="2017-03-24T08:00:00")
    r = await deliver(client, "woocommerce", WOO, woo.webhook("order.updated", cancelled, SECRET))
    assert r.json()["status"] == "cancelled"
    assert len(await events(rt, "ChannelOrderReceived")) == 1
    (cancel,) = await events(rt, "ChannelOrderCancelled")
    assert cancel.data["external_order_id"] == "730"


async def test_woocommerce_refund_after_acceptance_cancels_and_an_older_update_changes_nothing(rt, client, woo):
    await woo_shop(client, woo)
    await deliver(client, "woocommerce", WOO, woo.webhook("order.created", fixture("woocommerce", "order_created"), SECRET))
    await deliver(client, "woocommerce", WOO, woo.webhook("order.updated", fixture("woocommerce", "order_updated_refunded"), SECRET))
    r = await deliver(client, "woocommerce", WOO, woo.webhook("order.updated", fixture("woocommerce", "order_updated"), SECRET))
    assert r.json()["status"] == "stale"
    assert len(await events(rt, "ChannelOrderCancelled")) == 1
    assert (await shop_order(client, "woocommerce", WOO, 727))["status"] == "cancelled"


async def fetch(rt) -> int:
    async with httpx.AsyncClient(timeout=5) as http:
        return await fetch_due(rt, SecretBox(rt.settings.secrets_key), http)


async def test_etsy_order_paid_notice_fetches_the_receipt_once(rt, client, etsy):
    secret = new_webhook_secret()
    await etsy_connector(client, etsy, ETSY, secret)
    await map_skus(client, "etsy", ETSY, ETSY_MAP)
    receipt = etsy.add_receipt(fixture("etsy", "receipt_paid"))
    notice = etsy.webhook("ORDER_PAID", receipt["receipt_id"], secret)
    r = await deliver(client, "etsy", ETSY, notice)
    assert r.status_code == 200 and r.json()["status"] == "queued", r.text
    assert (await deliver(client, "etsy", ETSY, notice)).json()["status"] == "duplicate"
    assert await fetch(rt) == 1
    (env,) = await events(rt, "ChannelOrderReceived")
    assert env.data["external_order_id"] == str(receipt["receipt_id"])
    assert [(li["sku"], li["quantity"]) for li in env.data["lines"]] == [("BUTTER-200", "2"), ("BALM-ROSE", "1")]
    assert env.data["customer"]["email"] == "marie.dupont@example.com"
    got = etsy.calls_to("GET", rf"/v3/application/shops/{etsy.shop_id}/receipts/{receipt['receipt_id']}")
    assert got[0].header("authorization").startswith("Bearer ") and got[0].header("x-api-key") == etsy.api_key
    # A second notice about the same receipt (Etsy retries) changes nothing.
    await deliver(client, "etsy", ETSY, etsy.webhook("ORDER_PAID", receipt["receipt_id"], secret))
    await fetch(rt)
    assert len(await events(rt, "ChannelOrderReceived")) == 1


async def test_etsy_expired_token_is_refreshed_and_the_new_pair_kept_sealed(rt, client, etsy):
    secret = new_webhook_secret()
    await etsy_connector(client, etsy, ETSY, secret)
    await map_skus(client, "etsy", ETSY, ETSY_MAP)
    receipt = etsy.add_receipt(fixture("etsy", "receipt_paid"))
    etsy.expire_access_tokens()
    await deliver(client, "etsy", ETSY, etsy.webhook("ORDER_PAID", receipt["receipt_id"], secret))
    await fetch(rt)
    assert len(await events(rt, "ChannelOrderReceived")) == 1
    assert len(etsy.calls_to("POST", "/v3/public/oauth/token")) == 1
    stored = await query_scalar(rt.uow, "SELECT refresh_token FROM connectors WHERE shop = :s", s=ETSY)
    assert stored.startswith("fernet:")
    assert SecretBox(rt.settings.secrets_key).open(stored) in etsy.refresh_tokens


async def test_etsy_stale_or_forged_notices_are_401_and_store_nothing(rt, client, etsy):
    secret = new_webhook_secret()
    await etsy_connector(client, etsy, ETSY, secret)
    old = etsy.webhook("ORDER_PAID", 1, secret, timestamp=1_600_000_000)
    assert (await deliver(client, "etsy", ETSY, old)).status_code == 401
    forged = etsy.webhook("ORDER_PAID", 1, new_webhook_secret())
    assert (await deliver(client, "etsy", ETSY, forged)).status_code == 401
    assert await count(rt, "order_fetches") == 0 and await count(rt, "deliveries") == 0


async def test_etsy_notice_about_another_shop_is_not_fetched(rt, client, etsy):
    secret = new_webhook_secret()
    await etsy_connector(client, etsy, ETSY, secret)
    headers, body = etsy.webhook("ORDER_PAID", 42, secret)
    import json as _json
    from devstack.shops.etsy import sign_webhook
    forged_shop = _json.dumps({**_json.loads(body), "shop_id": 999}).encode()
    headers["webhook-signature"] = sign_webhook(secret, headers["webhook-id"], int(headers["webhook-timestamp"]), forged_shop)
    r = await deliver(client, "etsy", ETSY, (headers, forged_shop))
    assert r.status_code == 200 and r.json()["status"] == "ignored"
    assert await count(rt, "order_fetches") == 0
