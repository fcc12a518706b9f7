"""Shop webhooks in, ChannelOrderReceived out (exactly once), on a real database."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from channels.domain.channels import sign
from channels_testkit import body_of, outbox, shopify_order, woo_order

pytestmark = pytest.mark.integration

SHOP = "acme.myshopify.com"
SECRET = "shpss_0123456789abcdef"


@pytest.fixture
async def shopify(client):
    r = await client.post("/connectors", json={"channel": "shopify", "shop": SHOP, "webhook_secret": SECRET})
    assert r.status_code == 200, r.text
    r = await client.post(
        f"/connectors/shopify/{SHOP}/sku-map",
        json={"SH-CREAM": "CREAM-50", "SH-SOAP": {"sku": "SOAP-100", "unit": "pcs", "per_item": "6"}},
    )
    assert r.status_code == 200, r.text


async def post_signed(client, payload: dict, secret: str = SECRET, shop: str = SHOP):
    raw = body_of(payload)
    return await client.post(
        f"/webhooks/shopify/{shop}", content=raw,
        headers={"Content-Type": "application/json", "X-Shopify-Hmac-Sha256": sign(secret, raw)},
    )


async def test_signed_shopify_order_becomes_one_channel_order_with_our_skus(rt, client, shopify):
    r = await post_signed(client, shopify_order(450789469))
    assert r.status_code == 200, r.text
    expected_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"shopify/{SHOP}/450789469"))
    assert r.json()["status"] == "accepted" and r.json()["order_id"] == expected_id

    (row,) = await outbox(rt, "ChannelOrderReceived")
    assert row["topic"] == "channels.channel-order-received.v1" and row["key"] == expected_id
    data = row["envelope"].data
    assert (data["channel"], data["shop"], data["external_order_id"]) == ("shopify", SHOP, "450789469")
    assert data["customer"]["name"] == "Jon Snow" and data["customer"]["email"] == "jon@example.com"
    assert data["customer"]["country"] == "GB"
    assert [(li["line_no"], li["sku"], li["quantity"], li["unit"]) for li in data["lines"]] == [
        (1, "CREAM-50", "2", "pcs"), (2, "SOAP-100", "12", "pcs")]  # 2 six-packs = 12 soaps


async def test_redelivered_webhook_returns_200_and_emits_nothing_more(rt, client, shopify):
    first = await post_signed(client, shopify_order(1))
    again = await post_signed(client, shopify_order(1))
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["status"] == "duplicate" and again.json()["order_id"] == first.json()["order_id"]
    # Two deliveries racing (two instances behind a load balancer): still one order.
    racing = await asyncio.gather(*(post_signed(client, shopify_order(2)) for _ in range(3)))
    assert sorted(r.json()["status"] for r in racing) == ["accepted", "duplicate", "duplicate"]
    assert len(await outbox(rt, "ChannelOrderReceived")) == 2
    (hook,) = [w for w in (await client.get("/webhooks")).json() if w["external_id"] == "2"]
    assert hook["deliveries"] == 3


async def test_wrong_or_missing_signature_is_401_and_stores_nothing(rt, client, shopify):
    r = await post_signed(client, shopify_order(3), secret="not-the-secret")
    assert r.status_code == 401 and "X-Shopify-Hmac-Sha256" in r.json()["detail"]
    r = await client.post(f"/webhooks/shopify/{SHOP}", content=body_of(shopify_order(3)))
    assert r.status_code == 401
    # Signed body, then tampered with in transit.
    raw = body_of(shopify_order(3))
    r = await client.post(f"/webhooks/shopify/{SHOP}", content=raw.replace(b'"quantity": 2', b'"quantity": 200'),
                          headers={"X-Shopify-Hmac-Sha256": sign(SECRET, raw)})
    assert r.status_code == 401
    assert (await client.get("/webhooks")).json() == [] and await outbox(rt) == []


async def test_unmapped_sku_is_422_naming_it_and_kept_rejected_until_mapped(rt, client, shopify):
    r = await post_signed(client, shopify_order(4, skus=("SH-CREAM", "SH-GIFTBOX")))
    assert r.status_code == 422
    assert r.json()["external_sku"] == "SH-GIFTBOX" and "SH-GIFTBOX" in r.json()["detail"]
    (hook,) = (await client.get("/webhooks", params={"status": "rejected"})).json()
    assert hook["external_id"] == "4" and "not mapped" in hook["reason"]
    assert await outbox(rt) == []

    # The merchant maps the SKU; the shop's retry of the same webhook now goes through.
    await client.post(f"/connectors/shopify/{SHOP}/sku-map", json={"SH-GIFTBOX": "GIFTBOX-1"})
    r = await post_signed(client, shopify_order(4, skus=("SH-CREAM", "SH-GIFTBOX")))
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    (row,) = await outbox(rt, "ChannelOrderReceived")
    assert [li["sku"] for li in row["envelope"].data["lines"]] == ["CREAM-50", "GIFTBOX-1"]
    assert (await client.get("/webhooks", params={"status": "rejected"})).json() == []


async def test_woocommerce_order_without_secret(rt, client):
    await client.post("/connectors", json={"channel": "woocommerce", "shop": "arya-shop"})
    await client.post("/connectors/woocommerce/arya-shop/sku-map", json={"WC-CREAM": "CREAM-50"})
    r = await client.post("/webhooks/woocommerce/arya-shop", content=body_of(woo_order(727)))
    assert r.status_code == 200, r.text
    (row,) = await outbox(rt, "ChannelOrderReceived")
    data = row["envelope"].data
    assert data["customer"]["name"] == "Arya Stark" and data["lines"][0]["quantity"] == "3"


async def test_unusable_requests_are_4xx_with_a_reason(rt, client, shopify):
    assert (await client.post("/webhooks/shopify/unknown-shop", content=b"{}")).status_code == 404
    assert (await client.post(f"/webhooks/amazon/{SHOP}", content=b"{}")).status_code == 422
    raw = b"not json"
    r = await client.post(f"/webhooks/shopify/{SHOP}", content=raw, headers={"X-Shopify-Hmac-Sha256": sign(SECRET, raw)})
    assert r.status_code == 422 and "JSON" in r.json()["detail"]
    r = await post_signed(client, {"email": "x@example.com"})
    assert r.status_code == 422 and "no order 'id'" in r.json()["detail"]
    r = await post_signed(client, {**shopify_order(5), "email": "nobody"})
    assert r.status_code == 422 and "e-mail" in r.json()["detail"]
    r = await client.post("/connectors", json={"channel": "amazon", "shop": "x"})
    assert r.status_code == 422
    r = await client.post(f"/connectors/shopify/{SHOP}/sku-map", json={"X": "bad sku with spaces"})
    assert r.status_code == 422
    r = await client.post("/connectors/shopify/nope/sku-map", json={"X": "Y"})
    assert r.status_code == 404
    assert await outbox(rt) == []


async def test_connectors_never_show_secrets_and_keep_them_on_partial_update(rt, client, shopify):
    (c,) = (await client.get("/connectors")).json()
    assert c["has_webhook_secret"] is True and SECRET not in str(c)
    # Setting the admin URL later must not switch signature checks off.
    r = await client.post("/connectors", json={"channel": "shopify", "shop": SHOP, "admin_url": "http://127.0.0.1:9/admin"})
    assert r.json()["has_webhook_secret"] is True and r.json()["admin_url"] == "http://127.0.0.1:9/admin"
    assert (await client.post(f"/webhooks/shopify/{SHOP}", content=body_of(shopify_order(6)))).status_code == 401
    assert {e["external_sku"]: e["sku"] for e in (await client.get(f"/connectors/shopify/{SHOP}/sku-map")).json()} == {
        "SH-CREAM": "CREAM-50", "SH-SOAP": "SOAP-100"}
