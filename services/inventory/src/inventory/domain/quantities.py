"""Quantities at the edge: convert to the item's base unit and fit NUMERIC(18,6)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal

from contracts.units import Unit, convert

STEP = Decimal("0.000001")


def to_base(quantity: Decimal, unit: Unit | str, base_unit: Unit | str, *, round_up: bool = False) -> Decimal:
    """`quantity` in `base_unit`, to 6 decimals. Demand rounds up (never promise a hair
    too little); recorded facts (receipts, consumption, shipments) round to nearest.
    Raises contracts.units.IncompatibleUnits across dimensions (kg to L)."""
    converted = convert(quantity, unit, base_unit)
    return converted.quantize(STEP, rounding=ROUND_CEILING if round_up else ROUND_HALF_EVEN)
