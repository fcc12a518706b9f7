"""From the shop's SKUs to ours.

A mapping entry names our SKU, the unit our order line is in, and how many of those units
one shop item is (a shop "6-pack" is 6 pcs of our SKU)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from channels.domain.shop_orders import ShopLine


@dataclass(frozen=True)
class SkuTarget:
    sku: str
    unit: str = "pcs"
    per_item: Decimal = Decimal(1)


@dataclass(frozen=True)
class MappedLine:
    line_no: int
    sku: str
    quantity: Decimal
    unit: str
    external_line_id: str | None
    external_sku: str
    per_item: Decimal


class UnmappedSku(LookupError):
    def __init__(self, external_sku: str, position: int):
        self.external_sku = external_sku
        self.position = position
        what = f"SKU {external_sku!r}" if external_sku else "no SKU"
        super().__init__(f"line item {position} has {what}, which is not mapped to one of our SKUs")


def _plain(q: Decimal) -> Decimal:
    """12.000000 -> 12 (not 1.2E+1), 1.500000 -> 1.5: quantities on the wire stay readable."""
    return q.quantize(Decimal(1)) if q == q.to_integral_value() else q.normalize()


def map_lines(lines: list[ShopLine], mapping: dict[str, SkuTarget]) -> list[MappedLine]:
    """Every line mapped, or UnmappedSku for the first one that is not (nothing partial:
    an order missing a line would ship incomplete without anyone noticing)."""
    out = []
    for line in lines:
        target = mapping.get(line.external_sku) if line.external_sku else None
        if target is None:
            raise UnmappedSku(line.external_sku, line.position)
        out.append(
            MappedLine(
                line.position, target.sku, _plain(line.quantity * target.per_item), target.unit,
                line.external_line_id, line.external_sku, target.per_item,
            )
        )
    return out
