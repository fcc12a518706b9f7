"""Shopify: webhooks signed with the app's secret, the Order resource as webhooks and the REST
Admin API carry it, and the Admin API calls the service makes (one order, orders updated
since a time, fulfillment through fulfillment orders).

Sources: shopify.dev "Verify webhooks" / "Ignore duplicate webhooks" (headers), REST Admin
API Order, FulfillmentOrder and Fulfillment resources, "Make paginated requests to the REST
Admin API" (Link header cursors)."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

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

# Topics whose body is the full Order resource. orders/delete (body: the id only) and
# orders/edited (an order-edit object) are not orders; they are answered and ignored.
ORDER_TOPICS = frozenset({
    "orders/create", "orders/updated", "orders/paid", "orders/cancelled",
    "orders/fulfilled", "orders/partially_fulfilled",
})
PAID = frozenset({"paid", "partially_paid", "authorized", "partially_refunded"})
REFUNDED = frozenset({"refunded", "voided"})
# Fulfillment orders that still accept a fulfillment (in_progress = partly fulfilled).
FULFILLABLE = frozenset({"open", "in_progress"})
# Our carriers as Shopify's list of supported tracking companies spells them; anything else
# goes as "Other" with its tracking URL (Shopify then links the URL we give).
CARRIERS = {"dhl": "DHL Express", "ups": "UPS", "dpd": "DPD", "gls": "GLS", "fedex": "FedEx", "usps": "USPS"}
PAGE_LIMIT = 250  # the largest page the REST Admin API serves


signature = body_hmac  # Shopify signs the raw body: base64 HMAC-SHA256 with the app's secret


class Shopify:
    channel = "shopify"

    # -- webhooks -----------------------------------------------------------------------------
    def verify(self, secret: str, headers: Mapping[str, str], raw: bytes, now: datetime) -> str | None:
        given = header(headers, "X-Shopify-Hmac-Sha256")
        if not given:
            return "missing X-Shopify-Hmac-Sha256"
        if not hmac.compare_digest(signature(secret, raw).encode(), given.strip().encode()):
            return "X-Shopify-Hmac-Sha256 does not match the body"
        return None  # Shopify signs no timestamp: there is nothing to judge staleness by

    def classify(self, headers: Mapping[str, str], raw: bytes) -> Delivery:
        payload = json_object(raw)
        topic = header(headers, "X-Shopify-Topic")
        # X-Shopify-Webhook-Id stays the same when Shopify retries a delivery; the documented
        # duplicate marker X-Shopify-Event-Id is the fallback when a relay drops the former.
        delivery_id = header(headers, "X-Shopify-Webhook-Id") or header(headers, "X-Shopify-Event-Id")
        # No topic at all: an order posted by hand (or by an older relay) is still an order.
        if topic is not None and topic not in ORDER_TOPICS:
            return Delivery(DeliveryKind.ignored, delivery_id, topic, None, payload)
        return Delivery(DeliveryKind.order, delivery_id, topic, _order_id(payload), payload)

    # -- the Order resource -------------------------------------------------------------------
    def parse_order(self, payload: Any) -> ShopOrder:
        if isinstance(payload, dict) and set(payload) == {"order"}:
            payload = payload["order"]  # the REST answer wraps what a webhook sends bare
        if not isinstance(payload, dict):
            raise PayloadError("a Shopify order is a JSON object")
        customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
        billing = _address(payload.get("billing_address"))
        ship_to = _address(payload.get("shipping_address"))
        financial = text(payload.get("financial_status"))
        cancelled = payload.get("cancelled_at") is not None
        locale = text(payload.get("customer_locale"))
        order_number = payload.get("order_number")
        return ShopOrder(
            external_id=_order_id(payload),
            reference=text(payload.get("name")) or (f"#{order_number}" if order_number else None),
            updated_at=timestamp(payload.get("updated_at")),
            email=text(payload.get("email")) or text(payload.get("contact_email")) or text(customer.get("email")),
            customer_name=name_of(customer) or (billing.name if billing else None) or (ship_to.name if ship_to else None),
            phone=text(payload.get("phone")) or text(customer.get("phone"))
            or (billing.phone if billing else None) or (ship_to.phone if ship_to else None),
            billing=billing,
            ship_to=ship_to,
            lines=[_line(i, item) for i, item in enumerate(object_list(payload, "line_items"), start=1)],
            paid=financial in PAID,
            cancelled=cancelled,
            refunded=financial in REFUNDED,
            test=payload.get("test") is True,
            currency=text(payload.get("currency")),
            subtotal=money(payload.get("subtotal_price")),
            tax=money(payload.get("total_tax")),
            shipping=_shipping_total(payload),
            total=money(payload.get("total_price")),
            shipping_method=next((text(s.get("title")) for s in object_list(payload, "shipping_lines")), None),
            note=text(payload.get("note")),
            language=locale[:2].lower() if locale else None,
            status="cancelled" if cancelled else financial,
            extra={k: payload[k] for k in ("order_number", "fulfillment_status", "cancel_reason", "tags")
                   if payload.get(k) not in (None, "")},
        )

    def carrier_name(self, carrier: str) -> str:
        return CARRIERS.get(" ".join(carrier.split()).casefold(), "Other")

    # -- Admin API ----------------------------------------------------------------------------
    async def fetch_order(self, api: ShopApi, external_id: str) -> Any:
        resp = await _call(api, "GET", _admin(api, f"orders/{external_id}.json"), f"order {external_id}")
        return _body(resp, "order")

    async def orders_since(self, api: ShopApi, since: datetime) -> AsyncIterator[Any]:
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        # status=any: the list's default is "open", which would hide the cancellations that
        # reconciliation exists to catch. updated_at_min is inclusive ("at or after").
        url: str | None = _admin(api, "orders.json")
        params: dict[str, Any] | None = {"updated_at_min": since.isoformat(), "status": "any", "limit": PAGE_LIMIT}
        while url is not None:
            resp = await _call(api, "GET", url, "orders since", params=params)
            for order in _body(resp, "orders"):
                yield order
            # The next page is the Link header's URL, used exactly as given: a page_info
            # request may not repeat the filters (Shopify answers 400 if it does).
            url, params = resp.links.get("next", {}).get("url"), None
            if url is not None:
                _same_origin(api, url)

    async def fulfill(self, api: ShopApi, request: FulfillmentRequest) -> str | None:
        order = request.external_id
        # Shopify's fulfillment call takes no idempotency key. A retry after a lost answer
        # would fulfill (and notify) twice, so look for a live fulfillment with our tracking
        # number first.
        resp = await _call(api, "GET", _admin(api, f"orders/{order}/fulfillments.json"), f"fulfillments of {order}")
        for existing in _body(resp, "fulfillments"):
            numbers = existing.get("tracking_numbers") or [existing.get("tracking_number")]
            if request.tracking_number in numbers and existing.get("status") not in ("cancelled", "error", "failure"):
                return str(existing.get("id"))
        resp = await _call(api, "GET", _admin(api, f"orders/{order}/fulfillment_orders.json"),
                           f"fulfillment orders of {order}")
        by_location = _pick_fulfillment_lines(_body(resp, "fulfillment_orders"), request)
        if not by_location:
            return None  # nothing shipped in shop items (all quantities zero)
        tracking = {"number": request.tracking_number, "company": self.carrier_name(request.carrier)}
        if request.tracking_url:
            tracking["url"] = request.tracking_url
        ids = []
        # One fulfillment may only span fulfillment orders of one location.
        for groups in by_location.values():
            body = {"fulfillment": {
                "line_items_by_fulfillment_order": [
                    {"fulfillment_order_id": fo_id, "fulfillment_order_line_items": lines}
                    for fo_id, lines in groups.items()
                ],
                "tracking_info": tracking,
                "notify_customer": request.notify_customer,
            }}
            resp = await _call(api, "POST", _admin(api, "fulfillments.json"), f"fulfillment of {order}", json=body)
            ids.append(str(_body(resp, "fulfillment").get("id")))
        return ",".join(ids)


# -- helpers ------------------------------------------------------------------------------------


def _order_id(payload: dict) -> str:
    value = payload.get("id")
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        raise PayloadError("the order has no id")
    return str(value)


def _address(raw: Any) -> Address | None:
    if not isinstance(raw, dict) or not any(raw.get(k) for k in ("address1", "city", "zip", "name", "last_name")):
        return None
    country = text(raw.get("country_code"))
    return Address(
        name=text(raw.get("name")) or name_of(raw), company=text(raw.get("company")),
        address1=text(raw.get("address1")), address2=text(raw.get("address2")), city=text(raw.get("city")),
        zip=text(raw.get("zip")), province=text(raw.get("province")) or text(raw.get("province_code")),
        country=country.upper() if country else None, phone=text(raw.get("phone")),
    )


def _line(position: int, item: dict) -> ShopLine:
    quantity = integral(item.get("quantity"))
    price = money(item.get("price"))
    # discount_allocations replaced the deprecated total_discount; read it when present.
    if isinstance(item.get("discount_allocations"), list):
        discount = sum((money(d.get("amount")) or Decimal(0) for d in item["discount_allocations"]
                        if isinstance(d, dict)), Decimal(0))
    else:
        discount = money(item.get("total_discount")) or Decimal(0)
    return ShopLine(
        position=position,
        external_line_id=text(item.get("id")),
        external_sku=text(item.get("sku")) or "",
        quantity=quantity,
        product_id=text(item.get("product_id")),
        variant_id=text(item.get("variant_id")),
        title=text(item.get("name")) or text(item.get("title")),
        unit_price=price,
        total=price * quantity - discount if price is not None else None,
        requires_shipping=item["requires_shipping"] if isinstance(item.get("requires_shipping"), bool) else None,
        product_type=text(item.get("product_type")),
        gift_card=item.get("gift_card") is True,
    )


def _shipping_total(payload: dict) -> Decimal | None:
    price_set = payload.get("total_shipping_price_set")
    if isinstance(price_set, dict) and isinstance(price_set.get("shop_money"), dict):
        return money(price_set["shop_money"].get("amount"))
    lines = object_list(payload, "shipping_lines")
    if not lines:
        return None
    amounts = [money(s.get("discounted_price")) or money(s.get("price")) for s in lines]
    return sum((a for a in amounts if a is not None), Decimal(0))


def _pick_fulfillment_lines(fulfillment_orders: list[dict], request: FulfillmentRequest) -> dict:
    """{location: {fulfillment_order_id: [{id, quantity}]}} covering exactly the shipped
    quantities, taken from the fulfillment orders that still accept fulfillments. A line item
    may be split over several fulfillment orders (several locations): fill them in turn."""
    open_lines: dict[str, list[tuple[dict, dict]]] = {}
    for fo in fulfillment_orders:
        if fo.get("status") not in FULFILLABLE:
            continue
        for fo_line in fo.get("line_items") or []:
            if (fo_line.get("fulfillable_quantity") or 0) > 0:
                open_lines.setdefault(str(fo_line.get("line_item_id")), []).append((fo, fo_line))
    picked: dict[Any, dict[Any, list[dict]]] = {}
    for line in request.lines:
        wanted = _whole(line.quantity, line.external_line_id)
        if wanted == 0:
            continue
        if line.external_line_id is None:
            raise PlatformError(f"line {line.external_sku!r} has no Shopify line item id", retryable=False)
        for fo, fo_line in open_lines.get(line.external_line_id, []):
            take = min(wanted, fo_line["fulfillable_quantity"])
            picked.setdefault(fo.get("assigned_location_id"), {}).setdefault(fo["id"], []).append(
                {"id": fo_line["id"], "quantity": take})
            wanted -= take
            if wanted == 0:
                break
        if wanted:
            raise PlatformError(f"line item {line.external_line_id}: {wanted} more than Shopify has left to fulfill",
                                retryable=False)
    return picked


def _whole(quantity: Decimal, line_id: str | None) -> int:
    if quantity != quantity.to_integral_value() or quantity < 0:
        raise PlatformError(f"line item {line_id}: Shopify fulfills whole items, not {quantity}", retryable=False)
    return int(quantity)


def _admin(api: ShopApi, path: str) -> str:
    return f"{api.base_url.rstrip('/')}/admin/api/{api.api_version}/{path}"


def _same_origin(api: ShopApi, url: str) -> None:
    # The access token goes with every request: never to a host the shop did not name.
    ours, theirs = urlsplit(api.base_url), urlsplit(url)
    if (ours.scheme, ours.netloc) != (theirs.scheme, theirs.netloc):
        raise PlatformError(f"pagination link leaves the shop: {url}", retryable=False)


async def _call(api: ShopApi, method: str, url: str, what: str, **kwargs: Any) -> httpx.Response:
    token = api.credentials.admin_token
    if not token:
        raise PlatformError(f"{what}: the connector has no admin token", retryable=False)
    try:
        resp = await api.client.request(method, url, headers={"X-Shopify-Access-Token": token}, **kwargs)
    except httpx.TransportError as exc:  # refused, reset, timed out: worth another try
        raise PlatformError(f"{what}: {exc!r}", retryable=True) from exc
    raise_for_status(resp, what)
    return resp


def _body(resp: httpx.Response, key: str) -> Any:
    try:
        return resp.json()[key]
    except (ValueError, KeyError, TypeError):
        raise PlatformError(f"Shopify answered {resp.status_code} without {key!r}", status=resp.status_code,
                            retryable=False) from None
