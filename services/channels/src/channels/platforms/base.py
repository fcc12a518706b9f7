"""What the channels service needs from a shop platform, and nothing more.

A platform module implements `Platform` for one of Shopify, WooCommerce, Etsy: it verifies
and classifies webhook deliveries, parses the platform's documented order payload into a
`ShopOrder`, and talks to the platform's documented admin API (fetch one order, list orders
modified since a time for reconciliation, report a fulfillment). It holds no state and does
no database I/O: the service's intake, reconciliation and fulfillment jobs call it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

import httpx

from channels.domain.shop_orders import ShopOrder


class DeliveryKind(StrEnum):
    order = "order"  # the body is a full order payload (Shopify, WooCommerce)
    notice = "notice"  # a thin notice naming an order to fetch (Etsy ORDER_PAID)
    ping = "ping"  # the platform checking the endpoint (WooCommerce webhook creation): 200, nothing stored
    ignored = "ignored"  # a topic we do not act on: 200, recorded


@dataclass(frozen=True)
class Delivery:
    kind: DeliveryKind
    delivery_id: str | None  # the platform's id of this delivery (same id on redelivery), if it sends one
    topic: str | None  # "orders/create", "order.updated", "ORDER_PAID" ...
    external_id: str | None  # the order it concerns (None for ping/ignored)
    payload: Any = None  # the decoded JSON body


class PlatformError(Exception):
    """A call to the platform's API failed. `retryable`: a later try may succeed (5xx, 429,
    timeouts, refused connections); otherwise the request itself is wrong (4xx)."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = True):
        super().__init__(message)
        self.status = status
        self.retryable = retryable


# What a call to a platform may raise that is the platform's (or its configuration's) fault,
# not ours: answered, retried or shown to the operator, never a crash of the job.
API_FAILURES = (PlatformError, httpx.HTTPError, httpx.InvalidURL, ValueError)


@dataclass(frozen=True)
class Credentials:
    """The secrets of one connector, decrypted, as the platform needs them.
    Shopify: admin_token (X-Shopify-Access-Token). WooCommerce: api_key / api_secret (consumer
    key / secret). Etsy: api_key (x-api-key keystring), access_token, refresh_token,
    token_expires_at; client_id is the keystring too."""

    admin_token: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    token_expires_at: datetime | None = None


@dataclass
class ShopApi:
    """One connector's way into its platform's admin API."""

    client: httpx.AsyncClient
    base_url: str  # e.g. https://acme.myshopify.com, https://shop.example.com, https://api.etsy.com
    shop: str  # our connector's shop handle
    shop_id: str | None  # the platform's numeric shop id where the API needs it (Etsy)
    credentials: Credentials
    # Called with the new credentials after a token refresh, so the connector keeps them.
    on_credentials_changed: Callable[[Credentials], Awaitable[None]] | None = None
    api_version: str = "2025-07"  # Shopify admin API version

    async def update_credentials(self, creds: Credentials) -> None:
        self.credentials = creds
        if self.on_credentials_changed is not None:
            await self.on_credentials_changed(creds)


@dataclass(frozen=True)
class FulfillmentLine:
    external_line_id: str | None
    external_sku: str
    quantity: Decimal  # in shop items


@dataclass(frozen=True)
class FulfillmentRequest:
    fulfillment_id: str  # ours; idempotency key where the platform takes one
    external_id: str  # the platform's order id
    lines: list[FulfillmentLine]
    carrier: str  # our carrier name ("DHL", "UPS", "USPS", "DPD", "GLS", "FedEx", "Local courier")
    tracking_number: str
    tracking_url: str | None
    complete: bool  # this shipment completes the order (nothing left to ship)
    notify_customer: bool = True
    extra: dict = field(default_factory=dict)


class Platform(Protocol):
    channel: str

    def verify(self, secret: str, headers: Mapping[str, str], raw: bytes, now: datetime) -> str | None:
        """None if the delivery is authentic, else the reason it is not (answered 401)."""

    def classify(self, headers: Mapping[str, str], raw: bytes) -> Delivery:
        """What this delivery is. Raises PayloadError for a body that cannot be a delivery."""

    def parse_order(self, payload: Any) -> ShopOrder:
        """The platform's order payload as a ShopOrder. Raises PayloadError."""

    def carrier_name(self, carrier: str) -> str:
        """Our carrier name as the platform's list spells it."""

    async def fetch_order(self, api: ShopApi, external_id: str) -> Any:
        """The full order payload from the admin API (what parse_order takes)."""

    def orders_since(self, api: ShopApi, since: datetime) -> AsyncIterator[Any]:
        """Every order payload modified at or after `since`, oldest first where the API allows."""

    async def fulfill(self, api: ShopApi, request: FulfillmentRequest) -> str | None:
        """Tell the platform the lines shipped; returns the platform's fulfillment id if any.
        Raises PlatformError."""


def raise_for_status(resp: httpx.Response, what: str) -> None:
    """PlatformError for a non-2xx answer, retryable for 408/429/5xx. (409 is final: Etsy
    answers it for tracking on a cancelled receipt, which no retry fixes.)"""
    if resp.status_code < 300:
        return
    retryable = resp.status_code in (408, 429) or resp.status_code >= 500
    raise PlatformError(f"{what}: HTTP {resp.status_code}: {resp.text[:300]}", status=resp.status_code,
                        retryable=retryable)


def with_token(creds: Credentials, **changes: Any) -> Credentials:
    return replace(creds, **changes)
