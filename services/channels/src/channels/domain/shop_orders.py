"""A shop order as every platform's payload reduces to it: platform-neutral, immutable.

Each platform module (`channels.platforms.<name>`) turns its documented payload into a
`ShopOrder`; intake decides from it alone (paid? cancelled? test? which lines are goods?).
Fields a platform does not carry stay None. Parsing is lenient about what it does not use
(platforms add fields all the time) and raises PayloadError only when the payload cannot be
an order at all; whether an order is *usable* (a valid e-mail, mapped lines) is intake's call,
so an unusable order is parked for review rather than refused to the platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


class PayloadError(ValueError):
    """The payload is not a shop order (not an object, no id...)."""


@dataclass(frozen=True)
class Address:
    name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    zip: str | None = None
    province: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2, upper case, or None
    phone: str | None = None

    def one_line(self) -> str | None:
        """"Rue X 1, Apt 2, 75001 Paris, IDF" (name and company excluded)."""
        city = " ".join(p for p in (self.zip, self.city) if p)
        text = ", ".join(p for p in (self.address1, self.address2, city, self.province) if p)
        return text[:500] or None


@dataclass(frozen=True)
class ShopLine:
    position: int  # 1-based place in the shop order's line list; becomes our line_no
    external_line_id: str | None
    external_sku: str  # "" when the shop sent none
    quantity: Decimal
    product_id: str | None = None
    variant_id: str | None = None
    title: str | None = None
    unit_price: Decimal | None = None  # the shop's price per shop item, before discounts
    total: Decimal | None = None  # what the buyer pays for the line (after line discounts) when known
    # None: the platform does not say. Shopify's requires_shipping=false marks gift wrap,
    # tips, digital goods: lines that never leave the warehouse.
    requires_shipping: bool | None = None
    product_type: str | None = None
    gift_card: bool = False


@dataclass(frozen=True)
class ShopOrder:
    external_id: str  # the platform's order id (Shopify/WooCommerce `id`, Etsy `receipt_id`)
    reference: str | None  # what the merchant and buyer call it: "#1042", "1042"
    # The platform's own last-modified time: later deliveries are judged by it, never by
    # arrival order. None only when the platform sends none (then arrival order decides).
    updated_at: datetime | None
    email: str | None
    customer_name: str | None
    phone: str | None
    billing: Address | None
    ship_to: Address | None  # a gift goes to the recipient: this, not the buyer
    lines: list[ShopLine]
    paid: bool  # money captured or authorized: production may start
    cancelled: bool
    refunded: bool = False
    test: bool = False  # a platform test order: recorded, never produced
    currency: str | None = None  # ISO 4217
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    shipping: Decimal | None = None
    total: Decimal | None = None
    shipping_method: str | None = None  # what the buyer chose and paid for
    note: str | None = None  # the buyer's note
    wanted_date: date | None = None  # a requested delivery date, where the shop has one
    language: str | None = None  # e.g. "fr", where the shop says
    status: str | None = None  # the platform's own status word, for the operator
    extra: dict = field(default_factory=dict, compare=False)  # anything platform-specific worth showing
