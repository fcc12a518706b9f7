"""Order lines checked at the door against the catalog (orders' replica of inventory's items):
the SKU exists, is active and sellable, the unit is of the item's dimension, pieces are whole,
and the quantity is within the item's plausibility bound and the global one. Pure: no I/O.
Every reason names its line, so the person fixing the order knows where to look."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from contracts.units import convert, dimension, is_count

CATCHING_UP = "if the item was created a moment ago, the catalog may still be catching up: try again shortly"


@dataclass(frozen=True)
class CatalogEntry:
    sku: str
    kind: str
    base_unit: str
    sellable: bool
    max_order_quantity: Decimal | None = None
    active: bool = True


@dataclass(frozen=True)
class Line:
    line_no: int
    sku: str
    quantity: Decimal
    unit: str


def line_problems(line: Line, entry: CatalogEntry | None, global_max: Decimal, look_alike: str | None = None) -> list[str]:
    at = f"line {line.line_no}"
    if entry is None:
        if look_alike is not None:  # the same letters in another case: a typing slip, not a new item
            return [f"{at}: unknown SKU {line.sku}: did you mean {look_alike}?"]
        return [f"{at}: unknown SKU {line.sku} ({CATCHING_UP})"]
    if not entry.active:
        return [f"{at}: {line.sku} is no longer sold (inactive)"]
    if not entry.sellable:
        return [f"{at}: {line.sku} is a {entry.kind} item, not for sale"]
    if dimension(line.unit) != dimension(entry.base_unit):
        return [
            f"{at}: {line.sku} is kept in {entry.base_unit} ({dimension(entry.base_unit)}); "
            f"{line.unit} is a {dimension(line.unit)} unit"
        ]
    problems = []
    in_base = convert(line.quantity, line.unit, entry.base_unit)
    if is_count(entry.base_unit) and in_base != in_base.to_integral_value():
        problems.append(f"{at}: {line.sku} is counted in whole pieces, not {line.quantity} {line.unit}")
    bound, whose = global_max, "the most any order line may ask for"
    if entry.max_order_quantity is not None and entry.max_order_quantity < bound:
        bound, whose = entry.max_order_quantity, f"the most one order line of {line.sku} may ask for"
    if in_base > bound:
        problems.append(
            f"{at}: {line.quantity} {line.unit} of {line.sku} is more than {bound.normalize():f} {entry.base_unit}, {whose}"
        )
    return problems


def order_problems(
    lines: Iterable[Line], catalog: Mapping[str, CatalogEntry], global_max: Decimal,
    look_alikes: Mapping[str, str] | None = None,
) -> list[str]:
    """Every reason the order is refused (empty: it may be placed). `look_alikes`: for an
    unknown SKU, the catalog's SKU that differs from it only in case, suggested instead."""
    similar = look_alikes or {}
    return [p for line in lines for p in line_problems(line, catalog.get(line.sku), global_max, similar.get(line.sku))]
