"""Shop order payloads (Shopify, WooCommerce, Etsy) reduced to what an order needs.

Only the fields we use are read; everything else in the payload is ignored (platforms add
fields all the time). Anything we cannot use raises PayloadError with a reason a merchant
can act on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from channels.domain.channels import Channel

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PayloadError(ValueError):
    """The payload is not a usable shop order."""


@dataclass(frozen=True)
class ShopLine:
    position: int  # 1-based place in the shop order; becomes our line_no
    external_line_id: str | None
    external_sku: str
    quantity: Decimal


@dataclass(frozen=True)
class ShopOrder:
    external_id: str
    reference: str | None  # what the merchant calls it ("#1001")
    name: str
    email: str
    address: str | None
    country: str | None
    phone: str | None
    lines: list[ShopLine]


def external_id_of(channel: Channel, payload: Any) -> str:
    if not isinstance(payload, dict):
        raise PayloadError("payload must be a JSON object")
    key = "receipt_id" if channel is Channel.etsy else "id"
    value = payload.get(key)
    if value is None or str(value).strip() == "":
        raise PayloadError(f"payload has no order {key!r}")
    return str(value).strip()


def _s(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _join(*parts: Any) -> str | None:
    text = ", ".join(p for p in (_s(x) for x in parts) if p)
    return text[:500] or None


def _country(value: Any) -> str | None:
    code = _s(value).upper()
    return code if len(code) == 2 and code.isalpha() else None


def _lines(items: Any, id_key: str) -> list[ShopLine]:
    if not isinstance(items, list) or not items:
        raise PayloadError("order has no line items")
    lines = []
    for pos, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise PayloadError(f"line item {pos} is not an object")
        try:
            qty = Decimal(str(item.get("quantity")))
        except InvalidOperation:
            raise PayloadError(f"line item {pos} has no valid quantity") from None
        if not qty.is_finite() or qty <= 0:
            raise PayloadError(f"line item {pos} has quantity {item.get('quantity')!r}; it must be positive")
        line_id = item.get(id_key)
        lines.append(ShopLine(pos, _s(line_id) or None, _s(item.get("sku")), qty))
    return lines


def _order(external_id, reference, first, last, fallback_name, email, address, country, phone, lines) -> ShopOrder:
    email = _s(email)
    if not _EMAIL.match(email):
        raise PayloadError(f"order has no valid customer e-mail ({email!r})")
    name = " ".join(p for p in (_s(first), _s(last)) if p) or _s(fallback_name) or email
    return ShopOrder(external_id, _s(reference) or None, name[:200], email, address, _country(country), _s(phone)[:50] or None, lines)


def parse_order(channel: Channel, payload: Any) -> ShopOrder:
    external_id = external_id_of(channel, payload)
    p = payload
    if channel is Channel.shopify:
        cust = p.get("customer") or {}
        ship = p.get("shipping_address") or p.get("billing_address") or {}
        return _order(
            external_id, p.get("name") or p.get("order_number"), cust.get("first_name"), cust.get("last_name"),
            ship.get("name"), p.get("email") or p.get("contact_email") or cust.get("email"),
            _join(ship.get("address1"), ship.get("address2"), _join(ship.get("zip"), ship.get("city")), ship.get("province")),
            ship.get("country_code"), ship.get("phone") or cust.get("phone"), _lines(p.get("line_items"), "id"),
        )
    if channel is Channel.woocommerce:
        bill = p.get("billing") or {}
        ship = p.get("shipping") or {}
        addr = ship if _s(ship.get("address_1")) else bill
        return _order(
            external_id, p.get("number"), bill.get("first_name"), bill.get("last_name"), None, bill.get("email"),
            _join(addr.get("address_1"), addr.get("address_2"), _join(addr.get("postcode"), addr.get("city")), addr.get("state")),
            addr.get("country"), bill.get("phone"), _lines(p.get("line_items"), "id"),
        )
    return _order(  # Etsy receipt
        external_id, p.get("receipt_id"), None, None, p.get("name"), p.get("buyer_email"),
        _join(p.get("first_line"), p.get("second_line"), _join(p.get("zip"), p.get("city")), p.get("state")),
        p.get("country_iso"), None, _lines(p.get("transactions"), "transaction_id"),
    )
