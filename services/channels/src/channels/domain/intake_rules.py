"""Per-connector rules of intake: which shop orders wait (unpaid, test) and which shop lines
are not goods we make (gift wrap, tips, shipping protection, free inserts).

Stored as JSON on the connector; every field optional, defaults below."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from channels.domain.shop_orders import ShopLine, ShopOrder

DEFAULT_NON_GOODS_TYPES = ("gift card", "gift wrap", "gift wrapping", "tip", "shipping protection", "insurance")


@dataclass(frozen=True)
class IntakeRules:
    # Unpaid orders (Shopify financial_status pending, WooCommerce pending / on-hold) wait
    # without production until paid.
    hold_unpaid: bool = True
    # Platform test orders are recorded, never produced.
    skip_test_orders: bool = True
    # A line the platform says needs no shipping (gift wrap, tips, digital) is not goods.
    ignore_non_shipping: bool = True
    # A free line nobody mapped (a sample sachet the shop adds) is not goods.
    ignore_zero_price: bool = True
    ignore_product_types: tuple[str, ...] = DEFAULT_NON_GOODS_TYPES
    ignore_skus: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> IntakeRules:
        data = data if isinstance(data, dict) else {}
        known = {f.name for f in fields(cls)}
        values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    def waits(self, order: ShopOrder) -> str | None:
        """Why an order that is not cancelled must wait rather than go into production."""
        if order.test and self.skip_test_orders:
            return "test"
        if not order.paid and self.hold_unpaid:
            return "awaiting_payment"
        return None

    def not_goods(self, line: ShopLine) -> str | None:
        """Why an unmapped line is not goods (None: it is goods and needs a mapping)."""
        if line.gift_card:
            return "gift card"
        if self.ignore_non_shipping and line.requires_shipping is False:
            return "needs no shipping"
        if line.product_type and line.product_type.strip().lower() in {t.lower() for t in self.ignore_product_types}:
            return f"product type {line.product_type!r}"
        if line.external_sku and line.external_sku in self.ignore_skus:
            return f"SKU {line.external_sku!r} is listed as not goods"
        if self.ignore_zero_price and line.unit_price is not None and line.unit_price == Decimal(0):
            return "free line"
        return None
