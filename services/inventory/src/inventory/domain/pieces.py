"""Whole pieces: an item counted in pieces (`pcs`) is reserved, consumed, allocated and
shipped in whole units. Demand rounds up (a batch that needs 51.02 labels needs 52), what
can be given from a lot rounds down (a lot holding 1.5 pcs can give 1), and a release gives
back whole pieces only. Mass and volume keep the 6 decimals of NUMERIC(18,6)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from contracts.units import Unit, is_count

ONE = Decimal(1)


def is_whole(quantity: Decimal) -> bool:
    return quantity == quantity.to_integral_value()


def need_up(quantity: Decimal, unit: Unit | str) -> Decimal:
    """A requirement in `unit`: whole pieces rounded up for count units, else unchanged."""
    return quantity.quantize(ONE, rounding=ROUND_CEILING) if is_count(unit) else quantity


def give_down(quantity: Decimal, unit: Unit | str) -> Decimal:
    """What may be handed out of (or back to) a lot in `unit`: whole pieces rounded down for
    count units, else unchanged."""
    return quantity.quantize(ONE, rounding=ROUND_FLOOR) if is_count(unit) else quantity


def fractional_pieces(quantity: Decimal, unit: Unit | str) -> bool:
    """True for a fractional quantity of a count unit (1.5 pcs): refused at every door."""
    return is_count(unit) and not is_whole(quantity)
