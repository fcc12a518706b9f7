"""Helpers of the channels integration tests: the platforms' documented payloads (fixtures),
connectors pointed at the platforms' stand-ins, signed deliveries, the outbox read back, and
Shipped handed to the handler as the consumer does. (Named uniquely: test directories are not
packages, so module names share one namespace.)"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import httpx

from channels.handlers import on_shipped
from contracts.events import Shipped
from contracts.events.shipping import ShippedLine
from devstack.testing import deliver_to_handler, query_scalar, read_outbox
from eventkit import Runtime

FIXTURES = Path(__file__).parent.parent / "fixtures"
SECRET = "whsec_test_secret_1"  # Shopify / WooCommerce HMAC secret in these tests


def fixture(platform: str, name: str, **over) -> dict:
    payload = json.loads((FIXTURES / platform / f"{name}.json").read_text())
    payload.update(copy.deepcopy(over))
    return payload


async def connect(client: httpx.AsyncClient, channel: str, shop: str, admin_url: str | None = None,
                  secret: str | None = SECRET, **extra) -> dict:
    body = {"channel": channel, "shop": shop, **extra}
    if secret is not None:
        body["webhook_secret"] = secret
    if admin_url is not None:
        body["admin_url"] = admin_url
    r = await client.post("/connectors", json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def map_skus(client: httpx.AsyncClient, channel: str, shop: str, mapping: dict) -> httpx.Response:
    r = await client.post(f"/connectors/{channel}/{shop}/sku-map", json=mapping)
    assert r.status_code == 200, r.text
    return r


async def deliver(client: httpx.AsyncClient, channel: str, shop: str, signed: tuple[dict, bytes]) -> httpx.Response:
    headers, body = signed
    return await client.post(f"/webhooks/{channel}/{shop}", content=body, headers=headers)


async def events(rt: Runtime, event_type: str) -> list:
    return [r.envelope for r in await read_outbox(rt.uow) if r.envelope.event_type == event_type]


async def shop_order(client: httpx.AsyncClient, channel: str, shop: str, external_id) -> dict:
    page = (await client.get("/shop-orders", params={"channel": channel, "shop": shop, "limit": 500})).json()
    (row,) = [o for o in page["items"] if o["external_id"] == str(external_id)]
    return row


async def count(rt: Runtime, table: str) -> int:
    return await query_scalar(rt.uow, f"SELECT count(*) FROM {table}")


def shipped(order_id: str, lines: list[tuple[int, str, str]], carrier: str = "DHL", tracking: str = "JD0146000031",
            shipment_id: str | None = None, complete: bool = True,
            tracking_url: str | None = "https://track.example/JD0146000031") -> Shipped:
    return Shipped(
        order_id=order_id, shipment_id=shipment_id or str(uuid.uuid4()), carrier=carrier, tracking_no=tracking,
        tracking_url=tracking_url, complete=complete, shipped_at=datetime.now(timezone.utc),
        lines=[ShippedLine(line_no=n, allocation_id=str(uuid.uuid4()), sku=sku, lot_id=str(uuid.uuid4()),
                           lot_no="B1", quantity=Decimal(q), unit="pcs") for n, sku, q in lines],
    )


async def ship(rt: Runtime, event: Shipped) -> None:
    await deliver_to_handler(rt.uow, on_shipped, event)


async def etsy_connector(client: httpx.AsyncClient, etsy, shop: str, secret: str) -> dict:
    """An Etsy connector as an operator sets it up after the OAuth consent: keystring and
    shared secret, the token pair, the numeric shop id, the webhook signing secret."""
    tokens = etsy.issue_tokens()
    expires = datetime.fromtimestamp(datetime.now(timezone.utc).timestamp() + tokens["expires_in"], timezone.utc)
    return await connect(client, "etsy", shop, admin_url=etsy.url, secret=secret, shop_id=str(etsy.shop_id),
                         api_key=etsy.keystring, api_secret=etsy.shared_secret,
                         access_token=tokens["access_token"], refresh_token=tokens["refresh_token"],
                         token_expires_at=expires.isoformat())


async def woo_connector(client: httpx.AsyncClient, woo, shop: str) -> dict:
    return await connect(client, "woocommerce", shop, admin_url=woo.url, api_key=woo.consumer_key,
                         api_secret=woo.consumer_secret)
