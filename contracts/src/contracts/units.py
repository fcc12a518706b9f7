"""Units of measure and conversions within one dimension (mass, volume, count).

Quantities on the wire are decimals with a unit; each item has a base unit and every
service stores quantities in the item's base unit. Converting across dimensions (kg to L)
needs a density, which is a property of an item, not of a unit, so it is refused here."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


class Unit(StrEnum):
    kg = "kg"
    g = "g"
    L = "L"
    mL = "mL"
    pcs = "pcs"


_DIMENSION = {Unit.kg: "mass", Unit.g: "mass", Unit.L: "volume", Unit.mL: "volume", Unit.pcs: "count"}
_FACTOR = {Unit.kg: Decimal(1000), Unit.g: Decimal(1), Unit.L: Decimal(1000), Unit.mL: Decimal(1), Unit.pcs: Decimal(1)}


class IncompatibleUnits(ValueError):
    pass


def dimension(unit: Unit | str) -> str:
    """mass, volume or count: units of one dimension convert into each other."""
    return _DIMENSION[Unit(unit)]


def is_count(unit: Unit | str) -> bool:
    """Counted in whole pieces (no fractions)."""
    return dimension(unit) == "count"


def convert(quantity: Decimal, from_unit: Unit | str, to_unit: Unit | str) -> Decimal:
    src, dst = Unit(from_unit), Unit(to_unit)
    if _DIMENSION[src] != _DIMENSION[dst]:
        raise IncompatibleUnits(f"cannot convert {src} ({_DIMENSION[src]}) to {dst} ({_DIMENSION[dst]})")
    return quantity * _FACTOR[src] / _FACTOR[dst]
