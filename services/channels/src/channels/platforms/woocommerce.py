"""WooCommerce: webhooks signed with the webhook's secret (and the unsigned ping sent when a
webhook is created), the REST API v3 order object, and the REST calls the service makes (one
order, orders modified since a time, an order note for the buyer, status completed).

Sources: woocommerce.github.io/woocommerce-rest-api-docs (Orders, Order notes, Webhooks,
Authentication, Pagination)."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx

from channels.domain.shop_orders import Address, PayloadError, ShopLine, ShopOrder
from channels.platforms.base import (
    Delivery,
    DeliveryKind,
    FulfillmentRequest,
    PlatformError,
    ShopApi,
    raise_for_status,
)
from channels.platforms.fields import (
    body_hmac, header, integral, json_object, money, name_of, object_list, text, timestamp,
)

ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.deleted", "order.restored"})
PAID = frozenset({"processing", "completed"})
# "trash" is an order the merchant deleted: for us it is as gone as a cancelled one.
CANCELLED = frozenset({"cancelled", "trash"})
PAGE_SIZE = 100  # the largest per_page WordPress accepts
API = "/wp-json/wc/v3"


signature = body_hmac  # WooCommerce signs the raw body: base64 HMAC-SHA256 with the webhook secret


class WooCommerce:
    channel = "woocommerce"

    # -- webhooks -----------------------------------------------------------------------------
    def verify(self, secret: str, headers: Mapping[str, str], raw: bytes, now: datetime) -> str | None:
        given = header(headers, "X-WC-Webhook-Signature")
        if not given:
            return "missing X-WC-Webhook-Signature"
        if not hmac.compare_digest(signature(secret, raw).encode(), given.encode()):
            return "X-WC-Webhook-Signature does not match the body"
        return None  # WooCommerce signs no timestamp: there is nothing to judge staleness by

    def classify(self, headers: Mapping[str, str], raw: bytes) -> Delivery:
        # Saving a webhook in WooCommerce posts `webhook_id=N` as a form, unsigned and
        # without the X-WC-Webhook-* headers, and disables the webhook unless answered 2xx.
        webhook_id = _ping_webhook_id(raw)
        if webhook_id is not None:
            return Delivery(DeliveryKind.ping, None, None, None, {"webhook_id": webhook_id})
        payload = json_object(raw)
        topic = header(headers, "X-WC-Webhook-Topic")
        if topic is None and header(headers, "X-WC-Webhook-Resource") and header(headers, "X-WC-Webhook-Event"):
            topic = f"{header(headers, 'X-WC-Webhook-Resource')}.{header(headers, 'X-WC-Webhook-Event')}"
        delivery_id = header(headers, "X-WC-Webhook-Delivery-ID")
        if topic is not None and topic not in ORDER_TOPICS:
            return Delivery(DeliveryKind.ignored, delivery_id, topic, None, payload)
        external_id = _order_id(payload)
        # A deleted resource may arrive as just {"id": N}: a notice to fetch the order by.
        kind = DeliveryKind.order if "line_items" in payload or "status" in payload else DeliveryKind.notice
        return Delivery(kind, delivery_id, topic, external_id, payload)

    # -- the order object ---------------------------------------------------------------------
    def parse_order(self, payload: Any) -> ShopOrder:
        if not isinstance(payload, dict):
            raise PayloadError("a WooCommerce order is a JSON object")
        billing = payload.get("billing") if isinstance(payload.get("billing"), dict) else {}
        shipping = payload.get("shipping") if isinstance(payload.get("shipping"), dict) else {}
        status = text(payload.get("status"))
        lines = [_line(i, item) for i, item in enumerate(object_list(payload, "line_items"), start=1)]
        line_totals = [line.total for line in lines]
        # Blank shipping fields mean "ship to the billing address" (the buyer did not tick
        # "ship to a different address"); a gift has its own shipping address.
        ship_to = _address(shipping) or _address(billing)
        note = text(payload.get("customer_note"))
        return ShopOrder(
            external_id=_order_id(payload),
            reference=text(payload.get("number")) or _order_id(payload),
            # date_modified_gmt is UTC without an offset. date_modified is the site's own
            # time zone, unknown to us: read as UTC only when the GMT field is missing.
            updated_at=timestamp(payload.get("date_modified_gmt"), naive_is_utc=True)
            or timestamp(payload.get("date_modified"), naive_is_utc=True),
            email=text(billing.get("email")),
            customer_name=name_of(billing) or name_of(shipping),
            phone=text(billing.get("phone")) or text(shipping.get("phone")),
            billing=_address(billing),
            ship_to=ship_to,
            lines=lines,
            paid=status in PAID,
            cancelled=status in CANCELLED,
            refunded=status == "refunded",
            currency=text(payload.get("currency")),
            # WooCommerce has no order subtotal: the lines' totals after discounts are it.
            subtotal=sum(line_totals, Decimal(0)) if lines and None not in line_totals else None,
            tax=money(payload.get("total_tax")),
            shipping=money(payload.get("shipping_total")),
            total=money(payload.get("total")),
            shipping_method=next((text(s.get("method_title")) for s in object_list(payload, "shipping_lines")), None),
            note=note,
            status=status,
            extra={k: payload[k] for k in ("payment_method_title", "date_paid_gmt", "created_via")
                   if payload.get(k) not in (None, "")},
        )

    def carrier_name(self, carrier: str) -> str:
        return carrier  # WooCommerce core keeps no carrier list: the note carries our name

    # -- REST API -----------------------------------------------------------------------------
    async def fetch_order(self, api: ShopApi, external_id: str) -> Any:
        order = _json(await _call(api, "GET", f"orders/{external_id}", f"order {external_id}"))
        if not isinstance(order, dict):
            raise PlatformError(f"order {external_id}: WooCommerce answered something else than an order",
                                retryable=False)
        return order

    async def orders_since(self, api: ShopApi, since: datetime) -> AsyncIterator[Any]:
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        since = since.astimezone(timezone.utc)
        # modified_after is strictly after and to the second; ask from a second earlier and
        # drop what is older, so an order modified exactly at `since` is not missed.
        # dates_are_gmt: otherwise WooCommerce reads the date in the site's time zone.
        after = (since - timedelta(seconds=1)).replace(tzinfo=None, microsecond=0).isoformat()
        page, pages = 1, 1
        while page <= pages:
            resp = await _call(api, "GET", "orders", "orders since", params={
                "modified_after": after, "dates_are_gmt": "true", "per_page": PAGE_SIZE, "page": page,
                "orderby": "modified", "order": "asc"})
            orders = _json(resp)
            if not isinstance(orders, list):
                raise PlatformError("WooCommerce answered an order list that is not a list", retryable=False)
            for order in orders:
                modified = timestamp(order.get("date_modified_gmt"), naive_is_utc=True) if isinstance(order, dict) else None
                if modified is None or modified >= since.replace(microsecond=0):
                    yield order
            # Page numbers over a list sorted by modification: an order modified during the
            # walk moves to the end (seen again) and may push one order back onto a page
            # already read; the reconciliation window should overlap the previous one.
            pages = int(resp.headers.get("X-WP-TotalPages") or 0)
            page += 1

    async def fulfill(self, api: ShopApi, request: FulfillmentRequest) -> str | None:
        # WooCommerce core has no fulfillment object: the buyer learns of a shipment from a
        # customer note (WooCommerce e-mails it), and a complete shipment completes the order.
        # A partial shipment is the note alone.
        words = [f"Shipped with {self.carrier_name(request.carrier)}: tracking {request.tracking_number}"]
        if request.tracking_url:
            words.append(request.tracking_url)
        resp = await _call(api, "POST", f"orders/{request.external_id}/notes", f"note on {request.external_id}",
                           json={"note": " ".join(words), "customer_note": request.notify_customer})
        note = _json(resp)
        note_id = note.get("id") if isinstance(note, dict) else None
        if request.complete:
            await _call(api, "PUT", f"orders/{request.external_id}", f"complete {request.external_id}",
                        json={"status": "completed"})
        return str(note_id) if note_id is not None else None


# -- helpers ------------------------------------------------------------------------------------
def _ping_webhook_id(raw: bytes) -> str | None:
    if len(raw) > 64:
        return None
    try:
        form = parse_qs(raw.decode("ascii"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    ids = form.get("webhook_id")
    if set(form) == {"webhook_id"} and ids and len(ids) == 1 and ids[0].isdigit():
        return ids[0]
    return None


def _order_id(payload: dict) -> str:
    value = payload.get("id")
    if value is None or isinstance(value, bool) or str(value).strip() in ("", "0"):
        raise PayloadError("the order has no id")
    return str(value)


def _address(raw: dict) -> Address | None:
    if not any(text(raw.get(k)) for k in ("address_1", "city", "postcode")):
        return None
    country = text(raw.get("country"))
    return Address(
        name=name_of(raw), company=text(raw.get("company")), address1=text(raw.get("address_1")),
        address2=text(raw.get("address_2")), city=text(raw.get("city")), zip=text(raw.get("postcode")),
        province=text(raw.get("state")), country=country.upper() if country else None,
        phone=text(raw.get("phone")),  # shipping.phone exists since WooCommerce 5.6
    )


def _line(position: int, item: dict) -> ShopLine:
    quantity = integral(item.get("quantity"))
    subtotal = money(item.get("subtotal"))
    # The API's `price` is the line total / quantity, i.e. after discounts; the price per
    # item before discounts is the subtotal / quantity.
    unit_price = subtotal / quantity if subtotal is not None and quantity > 0 else money(item.get("price"))
    return ShopLine(
        position=position,
        external_line_id=text(item.get("id")),
        external_sku=text(item.get("sku")) or "",
        quantity=quantity,
        product_id=_ref(item.get("product_id")),
        variant_id=_ref(item.get("variation_id")),
        title=text(item.get("name")),
        unit_price=unit_price,
        total=money(item.get("total")),
    )


def _ref(value: Any) -> str | None:
    """A product/variation id; WooCommerce sends 0 for "none"."""
    ref = text(value)
    return None if ref in (None, "0") else ref


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:  # a 2xx page that is not JSON: a caching proxy or a plugin's HTML
        raise PlatformError(f"WooCommerce answered {resp.status_code} with no JSON", status=resp.status_code,
                            retryable=True) from None


async def _call(api: ShopApi, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
    key, secret = api.credentials.api_key, api.credentials.api_secret
    if not key or not secret:
        raise PlatformError(f"{what}: the connector has no consumer key and secret", retryable=False)
    # HTTP Basic with the consumer key and secret, as documented for HTTPS. Over plain HTTP
    # WooCommerce documents OAuth 1.0a one-legged signing instead; we send Basic there too
    # (the local stand-in accepts it) and never put the keys in a query string.
    url = f"{api.base_url.rstrip('/')}{API}/{path}"
    try:
        resp = await api.client.request(method, url, auth=httpx.BasicAuth(key, secret), **kwargs)
    except httpx.TransportError as exc:  # refused, reset, timed out: worth another try
        raise PlatformError(f"{what}: {exc!r}", retryable=True) from exc
    raise_for_status(resp, what)
    return resp
