"""Etsy behind the `Platform` interface: Open API v3 and Etsy's webhooks.

What Etsy documents and this module relies on:
- Webhooks are signed per the Standard Webhooks spec (webhook-id, webhook-timestamp,
  webhook-signature) and carry a thin body naming a receipt (event_type, resource_url,
  shop_id); the receipt itself is fetched with getShopReceipt.
- Every API call carries `x-api-key` and an OAuth2 bearer token that lives one hour; the
  refresh token is rotated on every refresh, so the new one must be kept (update_credentials).
- Receipts are listed by `min_last_modified` with limit/offset paging; tracking is posted with
  createReceiptShipment.
Sources are listed in services/channels/tests/fixtures/etsy/README.md."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from channels.domain.shop_orders import Address, PayloadError, ShopLine, ShopOrder
from channels.platforms.base import (
    Delivery,
    DeliveryKind,
    FulfillmentRequest,
    PlatformError,
    ShopApi,
    raise_for_status,
    with_token,
)
from channels.platforms.fields import json_object

# Standard Webhooks recommends refusing a timestamp further than this from our clock either
# way: an old one is a replay, a future one a forgery or a broken clock.
TIMESTAMP_TOLERANCE = timedelta(minutes=5)
# Refresh a token this long before Etsy says it expires, so it cannot lapse mid-request.
TOKEN_MARGIN = timedelta(seconds=60)
PAGE_SIZE = 100  # getShopReceipts' maximum `limit`
EARLIEST = 946684800  # getShopReceipts refuses min_last_modified before 2000-01-01

# Event types whose receipt we fetch and take in. The webhooks guide lists ORDER_PAID while
# the payloads Etsy sends (and its updated docs) spell it `order.paid`; both are accepted by
# normalising case and separator. `order.canceled` is a notice too: the fetched receipt says
# status "canceled", so intake runs the cancellation. order.shipped / order.delivered are
# ours to cause, not to act on.
NOTICE_EVENTS = frozenset({"order.paid", "order.canceled"})

# Our carriers (services/shipping) as Etsy's supported-carrier names (fulfillment tutorial,
# "Tracking updates for shipping carriers"). "dhl" is Etsy's DHL Express entry. Anything
# Etsy does not list goes as "other", which createReceiptShipment documents for exactly that.
CARRIERS = {"dhl": "dhl", "ups": "ups", "dpd": "dpd", "gls": "gls", "fedex": "fedex", "usps": "usps"}
OTHER_CARRIER = "other"

_RECEIPT_IN_URL = re.compile(r"/shops/(\d+)/receipts/(\d+)/?$")


class Etsy:
    channel = "etsy"

    # -- webhooks ----------------------------------------------------------------------------
    def verify(self, secret: str, headers: Mapping[str, str], raw: bytes, now: datetime) -> str | None:
        h = {k.lower(): v for k, v in headers.items()}
        msg_id, stamp, signatures = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
        if not (msg_id and stamp and signatures):
            return "missing webhook-id, webhook-timestamp or webhook-signature header"
        try:
            sent = int(stamp)
        except ValueError:
            return "webhook-timestamp is not a unix time in seconds"
        skew = now.timestamp() - sent
        if skew > TIMESTAMP_TOLERANCE.total_seconds():
            return f"webhook-timestamp is {int(skew)} s old (stale or replayed)"
        if -skew > TIMESTAMP_TOLERANCE.total_seconds():
            return f"webhook-timestamp is {int(-skew)} s in the future"
        key = signing_key(secret)
        if key is None:
            return "the connector's webhook secret is not a whsec_ base64 key"
        expected = sign(key, msg_id, stamp, raw)
        # Several signatures are sent while Etsy rotates the secret; any v1 match will do.
        for entry in signatures.split():
            version, _, value = entry.partition(",")
            if version == "v1" and hmac.compare_digest(value.encode(), expected.encode()):
                return None
        return "no webhook-signature matches the body"

    def classify(self, headers: Mapping[str, str], raw: bytes) -> Delivery:
        payload = json_object(raw)
        delivery_id = next((v for k, v in headers.items() if k.lower() == "webhook-id"), None)
        event_type = payload.get("event_type")
        if not isinstance(event_type, str) or not event_type:
            raise PayloadError("an Etsy webhook names its event_type")
        if event_type.lower().replace("_", ".") not in NOTICE_EVENTS:
            return Delivery(DeliveryKind.ignored, delivery_id, event_type, None, payload)
        receipt_id = receipt_id_of(payload)
        if receipt_id is None:
            raise PayloadError(f"{event_type} without a receipt in resource_url")
        return Delivery(DeliveryKind.notice, delivery_id, event_type, receipt_id, payload)

    # -- the receipt -------------------------------------------------------------------------
    def parse_order(self, payload: Any) -> ShopOrder:
        return parse_receipt(payload)

    def carrier_name(self, carrier: str) -> str:
        return CARRIERS.get(carrier.strip().lower(), OTHER_CARRIER)

    # -- Open API v3 -------------------------------------------------------------------------
    async def fetch_order(self, api: ShopApi, external_id: str) -> Any:
        resp = await _call(api, "GET", _receipt_path(api, external_id))
        raise_for_status(resp, f"Etsy getShopReceipt {external_id}")
        return _body(resp)

    async def orders_since(self, api: ShopApi, since: datetime) -> AsyncIterator[Any]:
        # Offset paging over a list sorted by update time can skip or repeat a receipt that
        # changes while we page; repeats are harmless (intake judges by updated_timestamp) and
        # the next run, starting from an earlier point, picks up what moved.
        offset = 0
        while True:
            params = {"min_last_modified": max(int(since.timestamp()), EARLIEST), "limit": PAGE_SIZE,
                      "offset": offset, "sort_on": "updated", "sort_order": "asc"}
            resp = await _call(api, "GET", _receipts_path(api), params=params)
            raise_for_status(resp, "Etsy getShopReceipts")
            body = _body(resp)
            results = body.get("results") or []
            for receipt in results:
                yield receipt
            offset += len(results)
            count = body.get("count")
            if not results or not isinstance(count, int) or offset >= count:
                return

    async def fulfill(self, api: ShopApi, request: FulfillmentRequest) -> str | None:
        # createReceiptShipment takes no idempotency key: a retry after a lost answer would
        # add the same tracking twice and e-mail the buyer twice. Look first.
        receipt = await self.fetch_order(api, request.external_id)
        for shipment in receipt.get("shipments") or []:
            if isinstance(shipment, dict) and shipment.get("tracking_code") == request.tracking_number:
                return _str_or_none(shipment.get("receipt_shipping_id"))
        # Etsy tracks a shipment per receipt, never per line: a partial shipment still posts its
        # tracking (the buyer sees it), and Etsy marks the whole receipt shipped. The lines and
        # `complete` cannot be told to Etsy. It e-mails the buyer on every post whatever
        # notify_customer says, and takes no tracking URL, so the URL goes in the note.
        body: dict[str, Any] = {
            "tracking_code": request.tracking_number,
            "carrier_name": self.carrier_name(request.carrier),
            "send_bcc": bool(request.extra.get("send_bcc", False)),
        }
        if request.tracking_url:
            body["note_to_buyer"] = f"Track your parcel: {request.tracking_url}"
        # The current reference declares a JSON body for this endpoint (earlier versions of the
        # spec said form-encoded; Etsy reads both).
        resp = await _call(api, "POST", _receipt_path(api, request.external_id) + "/tracking", json=body)
        raise_for_status(resp, f"Etsy createReceiptShipment {request.external_id}")
        shipments = [s for s in _body(resp).get("shipments") or [] if isinstance(s, dict)]
        mine = [s for s in shipments if s.get("tracking_code") == request.tracking_number]
        return _str_or_none((mine or shipments or [{}])[-1].get("receipt_shipping_id"))


# -- signatures ---------------------------------------------------------------------------------
def signing_key(secret: str) -> bytes | None:
    """The HMAC key of a Standard Webhooks secret: the base64 part after `whsec_`."""
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return None


def sign(key: bytes, msg_id: str, timestamp: str, raw: bytes) -> str:
    """base64 HMAC-SHA256 over `id.timestamp.body`; the body as received, byte for byte."""
    signed = f"{msg_id}.{timestamp}.".encode() + raw
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def receipt_id_of(payload: Mapping[str, Any]) -> str | None:
    """The receipt a notice names. Only the id is taken from resource_url: the receipt is
    fetched from the connector's own base URL, never from a URL found in a request body (that
    would send our token wherever the body points)."""
    url = payload.get("resource_url")
    if isinstance(url, str) and (m := _RECEIPT_IN_URL.search(url.split("?")[0])):
        return m.group(2)
    # The first published version of the guide nested the event under `data`.
    data = payload.get("data")
    if isinstance(data, dict) and str(data.get("receipt_id", "")).isdigit():
        return str(data["receipt_id"])
    return None


# -- ShopReceipt -> ShopOrder --------------------------------------------------------------------
def parse_receipt(payload: Any) -> ShopOrder:
    if not isinstance(payload, dict):
        raise PayloadError("an Etsy receipt is a JSON object")
    receipt_id = payload.get("receipt_id")
    if receipt_id is None or not str(receipt_id).isdigit():
        raise PayloadError("an Etsy receipt has a numeric receipt_id")
    status = _str_or_none(payload.get("status"))
    word = (status or "").lower()
    gift = payload.get("is_gift") is True
    totals = {k: money(payload.get(k)) for k in
              ("grandtotal", "subtotal", "total_shipping_cost", "total_tax_cost", "total_vat_cost")}
    transactions = [t for t in payload.get("transactions") or [] if isinstance(t, dict)]
    # Etsy has one address: the ship-to, which for a gift is the recipient. The buyer is known
    # by e-mail only (null unless Etsy granted the app access) and, for a gift, gift_sender.
    name = _str_or_none(payload.get("name"))
    return ShopOrder(
        external_id=str(receipt_id),
        reference=str(receipt_id),  # Etsy shows buyers and sellers the receipt number itself
        updated_at=_time(payload.get("updated_timestamp", payload.get("update_timestamp"))),
        email=_str_or_none(payload.get("buyer_email")),
        customer_name=(_str_or_none(payload.get("gift_sender")) if gift else None) or name,
        phone=None,
        billing=None,
        ship_to=Address(
            name=name,
            address1=_str_or_none(payload.get("first_line")),
            address2=_str_or_none(payload.get("second_line")),
            city=_str_or_none(payload.get("city")),
            zip=_str_or_none(payload.get("zip")),
            province=_str_or_none(payload.get("state")),
            country=(_str_or_none(payload.get("country_iso")) or "").upper() or None,
        ),
        lines=[_line(i, t) for i, t in enumerate(transactions, start=1)],
        paid=payload.get("is_paid") is True,
        cancelled=word == "canceled",
        refunded=word == "fully refunded",
        currency=next((m[1] for m in totals.values() if m is not None and m[1]), None),
        subtotal=_amount(totals["subtotal"]),
        # Etsy reports US sales tax and VAT apart; the buyer paid both.
        tax=_sum(_amount(totals["total_tax_cost"]), _amount(totals["total_vat_cost"])),
        shipping=_amount(totals["total_shipping_cost"]),
        total=_amount(totals["grandtotal"]),
        shipping_method=_shipping_method(transactions),
        note=_str_or_none(payload.get("message_from_buyer")),
        status=status,
        extra=_extra(payload, gift),
    )


def money(value: Any) -> tuple[Decimal, str | None] | None:
    """An Etsy Money object {amount, divisor, currency_code} as (amount / divisor, currency)."""
    if not isinstance(value, dict) or value.get("amount") is None:
        return None
    try:
        amount = Decimal(str(value["amount"]))
        divisor = Decimal(str(value.get("divisor") or 1))
        return amount / divisor, _str_or_none(value.get("currency_code"))
    except (InvalidOperation, ArithmeticError):
        return None


def _line(position: int, t: dict) -> ShopLine:
    price = _amount(money(t.get("price")))
    quantity = _decimal(t.get("quantity"))
    digital = t.get("is_digital")
    return ShopLine(
        position=position,
        external_line_id=_str_or_none(t.get("transaction_id")),
        external_sku=_str_or_none(t.get("sku")) or "",
        quantity=quantity if quantity is not None else Decimal(0),
        # An Etsy listing is what the seller lists; its product is the variation bought.
        product_id=_str_or_none(t.get("listing_id")),
        variant_id=_str_or_none(t.get("product_id")),
        title=_str_or_none(t.get("title")),
        unit_price=price,
        # Coupons apply to the receipt (discount_amt), so this is the line before them.
        total=price * quantity if price is not None and quantity is not None else None,
        # A digital download never leaves the workshop.
        requires_shipping=(not digital) if isinstance(digital, bool) else None,
    )


def _shipping_method(transactions: list[dict]) -> str | None:
    # Etsy records the method per transaction; an upgrade the buyer paid for says more.
    for key in ("shipping_upgrade", "shipping_method"):
        for t in transactions:
            if value := _str_or_none(t.get(key)):
                return value
    return None


def _extra(payload: dict, gift: bool) -> dict:
    extra: dict[str, Any] = {}
    if gift:
        extra["gift"] = {"message": _str_or_none(payload.get("gift_message")),
                         "sender": _str_or_none(payload.get("gift_sender"))}
    if formatted := _str_or_none(payload.get("formatted_address")):
        extra["formatted_address"] = formatted
    if payload.get("is_shipped") is True:
        extra["shipped_at_etsy"] = [
            {"carrier_name": s.get("carrier_name"), "tracking_code": s.get("tracking_code")}
            for s in payload.get("shipments") or [] if isinstance(s, dict)
        ]
    return extra


# -- HTTP ---------------------------------------------------------------------------------------
def _receipts_path(api: ShopApi) -> str:
    if not api.shop_id:
        raise PlatformError("the Etsy connector has no shop_id", retryable=False)
    return f"{api.base_url.rstrip('/')}/v3/application/shops/{api.shop_id}/receipts"


def _receipt_path(api: ShopApi, receipt_id: str) -> str:
    if not str(receipt_id).isdigit():
        raise PlatformError(f"not an Etsy receipt id: {receipt_id!r}", retryable=False)
    return f"{_receipts_path(api)}/{receipt_id}"


def _api_key(api: ShopApi) -> str:
    creds = api.credentials
    if not creds.api_key:
        raise PlatformError("the Etsy connector has no API keystring", retryable=False)
    # Etsy's Request Standards now ask for `keystring:shared_secret` (enforced from
    # 2026-02-09); the keystring alone is what older apps sent and is kept for a connector
    # configured without its shared secret.
    return f"{creds.api_key}:{creds.api_secret}" if creds.api_secret else creds.api_key


async def _call(api: ShopApi, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One API request with a fresh token: refreshed first when it is about to lapse, or once
    after Etsy answers 401 invalid_token (revoked early, clocks apart), then retried once."""
    refreshed = False
    if _token_lapsing(api.credentials.access_token, api.credentials.token_expires_at):
        await refresh_token(api)
        refreshed = True
    resp = await _send(api, method, url, **kwargs)
    if resp.status_code == 401 and not refreshed and _token_refused(resp):
        await refresh_token(api)
        resp = await _send(api, method, url, **kwargs)
    return resp


def _token_lapsing(token: str | None, expires_at: datetime | None) -> bool:
    if not token:
        return True
    if expires_at is None:  # unknown lifetime: use it, a 401 will tell
        return False
    if expires_at.tzinfo is None:  # stored without a zone: we store UTC
        expires_at = expires_at.replace(tzinfo=UTC)
    return expires_at <= datetime.now(UTC) + TOKEN_MARGIN


async def _send(api: ShopApi, method: str, url: str, **kwargs: Any) -> httpx.Response:
    headers = {"x-api-key": _api_key(api), "Authorization": f"Bearer {api.credentials.access_token}",
               "Accept": "application/json"}
    try:
        return await api.client.request(method, url, headers=headers, **kwargs)
    except httpx.TransportError as exc:  # refused, reset, timed out: worth another try later
        raise PlatformError(f"Etsy {method} {url}: {exc!r}") from exc


async def refresh_token(api: ShopApi) -> None:
    """Trade the refresh token for a new pair and hand it to the connector. Etsy rotates the
    refresh token, so the old one is dead from here on: the caller must keep the new one (and
    must not refresh one connector from two places at once)."""
    creds = api.credentials
    if not creds.refresh_token or not creds.api_key:
        raise PlatformError("the Etsy connector has no refresh token: connect the shop again",
                            status=401, retryable=False)
    url = f"{api.base_url.rstrip('/')}/v3/public/oauth/token"
    form = {"grant_type": "refresh_token", "client_id": creds.api_key, "refresh_token": creds.refresh_token}
    try:
        resp = await api.client.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.TransportError as exc:
        raise PlatformError(f"Etsy token refresh: {exc!r}") from exc
    raise_for_status(resp, "Etsy token refresh")  # 400 invalid_grant: revoked, not retryable
    body = _body(resp)
    if not body.get("access_token"):
        raise PlatformError("Etsy token refresh answered without an access_token")
    lifetime = body.get("expires_in")
    expires = (datetime.now(UTC) + timedelta(seconds=int(lifetime))
               if isinstance(lifetime, int | float) else None)
    await api.update_credentials(with_token(
        creds, access_token=body["access_token"],
        refresh_token=body.get("refresh_token") or creds.refresh_token, token_expires_at=expires))


def _token_refused(resp: httpx.Response) -> bool:
    try:
        return resp.json().get("error") == "invalid_token"
    except (ValueError, AttributeError):
        return False


def _body(resp: httpx.Response) -> dict:
    try:
        body = resp.json()
    except ValueError as exc:
        raise PlatformError(f"Etsy answered {resp.status_code} without JSON") from exc
    if not isinstance(body, dict):
        raise PlatformError(f"Etsy answered {resp.status_code} with JSON that is not an object")
    return body


# -- small readers -----------------------------------------------------------------------------


def _time(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, UTC)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _amount(m: tuple[Decimal, str | None] | None) -> Decimal | None:
    return m[0] if m is not None else None


def _sum(*parts: Decimal | None) -> Decimal | None:
    present = [p for p in parts if p is not None]
    return sum(present, Decimal(0)) if present else None


def _str_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None
