"""From the shop's lines to ours.

A mapping entry is found by the line's variant id, then its product id, then its SKU (a
line without a SKU can still be mapped). It names our SKU, the unit of our order line and
how many of those units one shop item is (a shop "6-pack" is 6 pcs), or says the line is not
goods. Lines nobody mapped are judged by the connector's rules (gift wrap, tips, free
inserts). A goods line nobody mapped whose SKU (trimmed, any case) is the SKU of one of our
active, sellable finished goods counted in pieces maps to that item, one shop item = 1 pcs:
a shop that sells under our own SKUs needs no map. Items counted in kg or L are never taken
by themselves (how much is one shop item?), nor inactive, raw or intermediate ones. What is
left unmapped parks the whole order (an order missing a line would ship incomplete without
anyone noticing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from channels.domain.intake_rules import IntakeRules
from channels.domain.shop_orders import ShopLine

MATCH_KINDS = ("variant", "product", "sku")
# How a goods line found our SKU: an operator's mapping (by one of MATCH_KINDS) or the catalog.
BY_CATALOG = "catalog"


@dataclass(frozen=True)
class SkuTarget:
    sku: str | None
    unit: str = "pcs"
    per_item: Decimal = Decimal(1)
    ignore: bool = False


Mapping = dict[tuple[str, str], SkuTarget]  # (match_on, external ref) -> target


@dataclass(frozen=True)
class CatalogItem:
    """One of our items, as inventory last defined it."""

    sku: str
    kind: str  # raw | finished | intermediate
    base_unit: str
    sellable: bool = True
    active: bool = True

    def why_not_by_the_piece(self) -> str | None:
        """Why a shop line with this item's SKU does not map to it by itself (None: it does)."""
        if not self.active:
            return "inactive"
        if self.kind != "finished":
            return f"{self.kind}, not a finished good"
        if not self.sellable:
            return "not sellable"
        if self.base_unit != "pcs":
            return f"counted in {self.base_unit}: map how much one shop item is"
        return None


# Our items by SKU: the whole catalog, or only those the order's SKUs may name (catalog_key).
Catalog = dict[str, CatalogItem]


def catalog_key(shop_sku: str) -> str:
    """What a shop SKU is compared by: trimmed, upper case (our SKUs are upper case)."""
    return shop_sku.strip().upper()


def catalog_match(shop_sku: str, catalog: Catalog) -> tuple[CatalogItem | None, str | None]:
    """(our item the shop SKU names, None), or (None, why not) when it names an item that is
    not sold by the piece or is ambiguous, or (None, None) when it names none of ours. The
    exact SKU decides; otherwise one item whose SKU differs only in case."""
    sku = shop_sku.strip()
    if not sku:
        return None, None
    item = catalog.get(sku)
    if item is None:
        same = sorted(i.sku for i in catalog.values() if catalog_key(i.sku) == catalog_key(sku))
        if len(same) > 1:
            return None, f"could be our {' or '.join(same)}"
        item = catalog[same[0]] if same else None
    if item is None:
        return None, None
    why = item.why_not_by_the_piece()
    return (None, f"our {item.sku} is {why}") if why else (item, None)


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
    matched_on: str = "sku"  # variant | product | sku (an operator's mapping) | catalog


@dataclass(frozen=True)
class Mapped:
    goods: list[MappedLine]
    not_goods: list[tuple[ShopLine, str]]  # (line, why)
    unmapped: list[ShopLine]
    # Why an unmapped line's SKU, which names one of our items, was not taken (by position).
    hints: dict[int, str] = field(default_factory=dict)

    def unmapped_skus(self) -> list[str]:
        """The SKUs of the unmapped lines as the catalog compares them (an item defined with
        one of them may release the order)."""
        return sorted({catalog_key(li.external_sku) for li in self.unmapped if li.external_sku.strip()})

    def reason(self) -> str | None:
        if not self.unmapped:
            return None
        parts = []
        for line in self.unmapped:
            what = f"SKU {line.external_sku!r}" if line.external_sku else "no SKU"
            ids = ", ".join(f"{k} {v}" for k, v in (("variant", line.variant_id), ("product", line.product_id)) if v)
            title = f" {line.title!r}" if line.title else ""
            hint = f": {self.hints[line.position]}" if line.position in self.hints else ""
            parts.append(f"line {line.position}{title} ({what}{', ' + ids if ids else ''}{hint})")
        return "not mapped to our SKUs: " + "; ".join(parts)


def _plain(q: Decimal) -> Decimal:
    """12.000000 -> 12 (not 1.2E+1), 1.500000 -> 1.5: quantities on the wire stay readable."""
    return q.quantize(Decimal(1)) if q == q.to_integral_value() else q.normalize()


def target_for(line: ShopLine, mapping: Mapping) -> tuple[str, SkuTarget] | None:
    """The operator's mapping of the line and what it was found by."""
    refs = {"variant": line.variant_id, "product": line.product_id, "sku": line.external_sku}
    for kind in MATCH_KINDS:
        ref = refs[kind]
        if ref and (kind, ref) in mapping:
            return kind, mapping[(kind, ref)]
    return None


def map_lines(lines: list[ShopLine], mapping: Mapping, rules: IntakeRules, catalog: Catalog | None = None) -> Mapped:
    """The operator's mapping first (its "not goods" too), then the connector's rules, then
    our catalog by SKU; the rest is unmapped."""
    goods, not_goods, unmapped, hints = [], [], [], {}
    for line in lines:
        found = target_for(line, mapping)
        kind, target = found if found is not None else (None, None)
        if target is not None and target.ignore:
            not_goods.append((line, "mapped as not goods"))
        elif target is not None and target.sku:
            goods.append(MappedLine(
                line.position, target.sku, _plain(line.quantity * target.per_item), target.unit,
                line.external_line_id, line.external_sku, target.per_item, line, kind,
            ))
        elif (why := rules.not_goods(line)) is not None:
            not_goods.append((line, why))
        elif (match := catalog_match(line.external_sku, catalog or {}))[0] is not None:
            goods.append(MappedLine(
                line.position, match[0].sku, _plain(line.quantity), "pcs",
                line.external_line_id, line.external_sku, Decimal(1), line, BY_CATALOG,
            ))
        else:
            unmapped.append(line)
            if match[1]:
                hints[line.position] = match[1]
    return Mapped(goods, not_goods, unmapped, hints)
