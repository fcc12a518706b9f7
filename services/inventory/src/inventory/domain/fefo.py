"""First expired, first out: which lots to take a quantity from.

A lot without an expiry date goes after every dated lot; ties go to the lot received first,
then to the lot number, so every instance choosing among the same lots picks the same ones
(and locks them in the same order)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

ZERO = Decimal(0)


@dataclass(frozen=True)
class LotSupply:
    """What a lot can still give: on hand minus what is reserved or allocated."""

    lot_id: str
    lot_no: str
    available: Decimal
    expiry_date: date | None
    received_date: date


@dataclass(frozen=True)
class Take:
    lot: LotSupply
    quantity: Decimal


@dataclass(frozen=True)
class Pick:
    takes: list[Take]
    # What the lots could not cover.
    missing: Decimal

    @property
    def taken(self) -> Decimal:
        return sum((t.quantity for t in self.takes), ZERO)


def is_expired(expiry_date: date | None, today: date) -> bool:
    """A lot is expired on its expiry date: goods are not shipped or used on their last day."""
    return expiry_date is not None and expiry_date <= today


def fefo_key(lot: LotSupply) -> tuple:
    return (lot.expiry_date is None, lot.expiry_date or date.max, lot.received_date, lot.lot_no, lot.lot_id)


def usable(lots: list[LotSupply], today: date) -> list[LotSupply]:
    """The lots that may be used today, FEFO-ordered, with something available."""
    return sorted((lot for lot in lots if lot.available > 0 and not is_expired(lot.expiry_date, today)), key=fefo_key)


def _givable(lot: LotSupply, whole: bool) -> Decimal:
    """What the lot can give: whole pieces only for an item counted in pieces (a lot holding
    1.5 pcs gives 1; the half piece is never handed out)."""
    return lot.available.to_integral_value(rounding=ROUND_FLOOR) if whole else lot.available


def available(lots: list[LotSupply], today: date, whole: bool = False) -> Decimal:
    return sum((_givable(lot, whole) for lot in usable(lots, today)), ZERO)


def choose_lots(lots: list[LotSupply], quantity: Decimal, today: date, whole: bool = False) -> Pick:
    """Take `quantity` from the earliest-expiring usable lots, as far as they go. `whole`:
    the item is counted in pieces, so `quantity` is rounded up to whole pieces and every lot
    gives whole pieces (never 0.5 pcs from one lot and 0.5 from the next)."""
    if whole:
        quantity = quantity.to_integral_value(rounding=ROUND_CEILING)
    if quantity <= 0:
        return Pick([], ZERO)
    takes: list[Take] = []
    left = quantity
    for lot in usable(lots, today):
        if left <= 0:
            break
        q = min(_givable(lot, whole), left)
        if q <= 0:
            continue
        takes.append(Take(lot, q))
        left -= q
    return Pick(takes, max(left, ZERO))


def choose_to_release(lots: list[LotSupply], quantity: Decimal, whole: bool = False) -> Pick:
    """Give back `quantity` set aside in `lots` (`available` = what each holds for us), the
    latest-expiring first: what stays set aside is what should be used first anyway.
    `whole`: pieces go back whole (a fraction stays set aside rather than being split)."""
    takes: list[Take] = []
    left = quantity.to_integral_value(rounding=ROUND_FLOOR) if whole else quantity
    for lot in sorted(lots, key=fefo_key, reverse=True):
        if left <= 0:
            break
        q = min(_givable(lot, whole), left)
        if q > 0:
            takes.append(Take(lot, q))
            left -= q
    return Pick(takes, max(left, ZERO))
