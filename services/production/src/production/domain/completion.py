"""What a completed batch reports: the lots it consumed, the waste, the finished lot's expiry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal


@dataclass(frozen=True)
class LotUse:
    """A quantity of one material lot (reserved for, or consumed by, a batch)."""

    lot_id: str
    sku: str
    lot_no: str
    quantity: Decimal
    unit: str
    expiry_date: date | None = None


class InvalidCompletion(ValueError):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def reserved_by_lot(reservations: Iterable[LotUse]) -> list[LotUse]:
    """One entry per lot: a lot reserved for several order lines of the batch is summed."""
    by_lot: dict[str, LotUse] = {}
    for r in reservations:
        seen = by_lot.get(r.lot_id)
        by_lot[r.lot_id] = r if seen is None else replace(seen, quantity=seen.quantity + r.quantity)
    return list(by_lot.values())


def resolve_consumption(reserved: list[LotUse], given: list[tuple[str, Decimal]] | None) -> list[LotUse]:
    """The actual consumption: the reserved lots in full when nothing is given; otherwise the
    given quantities, which may only name lots reserved for this batch (sku, lot number and
    unit come from the reservation). Lots left out are not consumed (inventory releases them)."""
    if given is None:
        return list(reserved)
    known = {r.lot_id: r for r in reserved}
    reasons: list[str] = []
    seen: set[str] = set()
    used: list[LotUse] = []
    for lot_id, quantity in given:
        if lot_id in seen:
            reasons.append(f"lot {lot_id} is listed more than once")
            continue
        seen.add(lot_id)
        if lot_id not in known:
            reasons.append(f"lot {lot_id} is not reserved for this batch")
            continue
        if quantity <= 0:
            reasons.append(f"lot {lot_id}: quantity must be greater than 0")
            continue
        used.append(replace(known[lot_id], quantity=quantity))
    if reasons:
        raise InvalidCompletion(reasons)
    return used


def default_waste(planned: Decimal, output: Decimal) -> Decimal:
    """Without a measured waste, what was planned but not made counts as waste."""
    return max(planned - output, Decimal(0))


def default_expiry(today: date, shelf_life_days: int | None) -> date | None:
    return today + timedelta(days=shelf_life_days) if shelf_life_days else None
