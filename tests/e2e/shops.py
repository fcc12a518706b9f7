"""What a shop owner does, through the gateway, to sell on a shop platform: a connector
pointed at the platform's API (here its local stand-in), a SKU map, and the platform's
signed webhook posted to the public door. Plus the documented payloads the platforms send
(the channels service's fixtures, written from the platforms' documentation)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs

import httpx

from devstack.shops.server import Call
from devstack.system import System
from flows import item, receive
from harness import ok, poll

FIXTURES = Path(__file__).resolve().parents[2] / "services" / "channels" / "tests" / "fixtures"
SECRET = "e2e-shop-webhook-secret"  # Shopify / WooCommerce sign with the app's shared secret


def fixture(platform: str, name: str, **over) -> dict:
    payload = json.loads((FIXTURES / platform / f"{name}.json").read_text())
    payload.update(copy.deepcopy(over))
    return payload


async def stocked(c: httpx.AsyncClient, sku: str, qty: str) -> None:
    """A finished good with stock on hand, so a shop order for it ships from stock."""
    await item(c, sku, "finished", "pcs")
    await receive(c, sku, qty, "pcs")


async def connect(c: httpx.AsyncClient, channel: str, shop: str, **fields) -> dict:
    return await ok(await c.post("/api/connectors", json={"channel": channel, "shop": shop, **fields}))


async def map_skus(c: httpx.AsyncClient, channel: str, shop: str, mapping: dict) -> list[dict]:
    return await ok(await c.post(f"/api/connectors/{channel}/{shop}/sku-map", json=mapping))


async def deliver(system: System, channel: str, shop: str, signed: tuple[dict, bytes]) -> httpx.Response:
    """The shop's POST to the gateway's public webhook door: no API key, its signature only."""
    headers, body = signed
    async with httpx.AsyncClient(base_url=system.gateway, timeout=15) as shop_side:
        return await shop_side.post(f"/webhooks/{channel}/{shop}", content=body, headers=headers)


async def accepted_order_id(c: httpx.AsyncClient, channel: str, shop: str, external_id, deadline: float = 30) -> str:
    """Our order id for a shop order, once the channels service accepted it (what the
    operator sees in the shop order list)."""

    async def accepted():
        page = await ok(await c.get("/api/shop-orders", params={"channel": channel, "shop": shop}))
        rows = [o for o in page["items"] if o["external_id"] == str(external_id)]
        return rows[0]["order_id"] if rows and rows[0]["status"] == "accepted" else None

    return await poll(accepted, deadline=deadline, what=f"{channel} order {external_id} of {shop} accepted")


async def listed_in_orders(c: httpx.AsyncClient, channel: str, order_id: str, deadline: float = 60) -> list[dict]:
    """The order as the orders service lists it for the channel (there once it consumed
    ChannelOrderReceived)."""

    async def listed():
        page = await ok(await c.get("/api/orders", params={"channel": channel, "limit": 500}))
        return [o for o in page["items"] if o["order_id"] == order_id]

    return await poll(listed, deadline=deadline, what=f"order {order_id} listed for channel {channel}")


async def lines_of(c: httpx.AsyncClient, order_id: str) -> dict[str, Decimal]:
    view = await ok(await c.get(f"/api/orders/{order_id}"))
    return {li["sku"]: Decimal(str(li["quantity"])) for li in view["order"]["lines"]}


async def synced(c: httpx.AsyncClient, order_id: str, deadline: float = 60) -> dict:
    """The order's fulfillment, once the shop accepted it."""

    async def done():
        rows = await ok(await c.get("/api/fulfillments", params={"order_id": order_id}))
        return rows[0] if rows and rows[0]["status"] == "synced" else None

    return await poll(done, deadline=deadline, what=f"the fulfillment of {order_id} reported to the shop")


def form(call: Call) -> dict:
    """A recorded request body, JSON or form-encoded (Etsy takes either)."""
    if (call.header("content-type") or "").startswith("application/x-www-form-urlencoded"):
        return {k: v[-1] for k, v in parse_qs(call.body.decode()).items()}
    return call.json


def token_expiry(seconds: int) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds)).isoformat()
