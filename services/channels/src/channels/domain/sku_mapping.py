"""From the shop's lines to ours.

A mapping entry is found by the line's variant id, then its product id, then its SKU (a
line without a SKU can still be mapped). It names our SKU, the unit of our order line and
how many of those units one shop item is (a shop "6-pack" is 6 pcs), or says the line is not
goods. Lines nobody mapped are judged by the connector's rules (gift wrap, tips, free
inserts); what is left unmapped parks the whole order (an order missing a line would ship
incomplete without anyone noticing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from channels.domain.intake_rules import IntakeRules
from channels.domain.shop_orders import ShopLine

MATCH_KINDS = ("variant", "product", "sku")


@dataclass(frozen=True)
class SkuTarget:
    sku: str | None
    unit: str = "pcs"
    per_item: Decimal = Decimal(1)
    ignore: bool = False


Mapping = dict[tuple[str, str], SkuTarget]  # (match_on, external ref) -> target


@dataclass(frozen=True)
class MappedLine:
    line_no: int
    sku: str
    quantity: Decimal
    unit: str
    external_line_id: str | None
    external_sku: str
    per_item: Decimal
    shop_line: ShopLine | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Mapped:
    goods: list[MappedLine]
    not_goods: list[tuple[ShopLine, str]]  # (line, why)
    unmapped: list[ShopLine]

    def reason(self) -> str | None:
        if not self.unmapped:
            return None
        parts = []
        for line in self.unmapped:
            what = f"SKU {line.external_sku!r}" if line.external_sku else "no SKU"
            ids = ", ".join(f"{k} {v}" for k, v in (("variant", line.variant_id), ("product", line.product_id)) if v)
            title = f" {line.title!r}" if line.title else ""
            parts.append(f"line {line.position}{title} ({what}{', ' + ids if ids else ''})")
        return "not mapped to our SKUs: " + "; ".join(parts)


def _plain(q: Decimal) -> Decimal:
    """12.000000 -> 12 (not 1.2E+1), 1.500000 -> 1.5: quantities on the wire stay readable."""
    return q.quantize(Decimal(1)) if q == q.to_integral_value() else q.normalize()


def target_for(line: ShopLine, mapping: Mapping) -> SkuTarget | None:
    refs = {"variant": line.variant_id, "product": line.product_id, "sku": line.external_sku}
    for kind in MATCH_KINDS:
        ref = refs[kind]
        if ref and (kind, ref) in mapping:
            return mapping[(kind, ref)]
    return None


def map_lines(lines: list[ShopLine], mapping: Mapping, rules: IntakeRules) -> Mapped:
    goods, not_goods, unmapped = [], [], []
    for line in lines:
        target = target_for(line, mapping)
        if target is not None and target.ignore:
            not_goods.append((line, "mapped as not goods"))
        elif target is not None and target.sku:
            goods.append(MappedLine(
                line.position, target.sku, _plain(line.quantity * target.per_item), target.unit,
                line.external_line_id, line.external_sku, target.per_item, line,
            ))
        elif (why := rules.not_goods(line)) is not None:
            not_goods.append((line, why))
        else:
            unmapped.append(line)
    return Mapped(goods, not_goods, unmapped)
