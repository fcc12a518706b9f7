"""Step 2 of a completion: the material production used is consumed (ledger `consumption`
per lot, the plan's reservation first, then the lot's free stock, never below zero), and
what the plan reserved but did not use goes back to stock. The caller holds the materials'
item locks and the lots' row locks (`handlers.batch_completed._lock`)."""

from __future__ import annotations

import logging
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import BatchCompleted
from contracts.units import IncompatibleUnits
from inventory.adapters.stock import LotChanges
from inventory.domain.quantities import to_base
from inventory.tables import Item, Lot, Reservation

log = logging.getLogger("inventory.completion")
ZERO = Decimal(0)


async def consume_materials(
    session: AsyncSession, event: BatchCompleted, event_id: UUID | None, consumed: dict[str, list],
    reservations: list[Reservation], lots: dict[str, Lot], items: dict[str, Item], changes: LotChanges,
) -> None:
    """Gathers the lots' changes in `changes` (the caller writes them, with the releases)."""
    consumed = _spare_held(consumed, lots, reservations, event.batch_no)
    by_lot = {r.lot_id: r for r in reservations}
    for lot_id in sorted(consumed):
        lot = lots[lot_id]
        item = items[lot.sku]
        try:
            quantity = sum((to_base(q, unit, item.base_unit) for q, unit in consumed[lot_id]), ZERO)
        except IncompatibleUnits as exc:
            log.warning("batch %s: consumption of lot %s ignored: %s", event.batch_no, lot.lot_no, exc)
            continue
        _consume(changes, lot, by_lot.get(lot_id), quantity, event, event_id)


def release_unused(reservations: list[Reservation], lots: dict[str, Lot], changes: LotChanges) -> None:
    """What was set aside but not used goes back to stock: every reservation closes."""
    for reservation in reservations:
        changes.release_reservation(lots[reservation.lot_id], reservation, reservation.open_quantity, close=True)


def _spare_held(consumed: dict[str, list], lots: dict[str, Lot], reservations: list[Reservation], batch_no: str) -> dict[str, list]:
    """A held lot is never consumed. Production reports the lots it was told of; when one
    went on hold since, its use is taken from the plan's reservation of the same material
    in another lot (where the hold moved it); with none, nothing is consumed (logged)."""
    out: dict[str, list] = {}
    for lot_id, uses in consumed.items():
        lot = lots[lot_id]
        if lot.on_hold:
            moved = next((r.lot_id for r in reservations if r.sku == lot.sku and not lots[r.lot_id].on_hold), None)
            if moved is None:
                log.warning("batch %s reports using held lot %s: not consumed (no other lot reserved)", batch_no, lot.lot_no)
                continue
            lot_id = moved
        out.setdefault(lot_id, []).extend(uses)
    return out


def _consume(
    changes: LotChanges, lot: Lot, reservation: Reservation | None, quantity: Decimal, event: BatchCompleted,
    event_id: UUID | None,
) -> None:
    """Use the plan's reservation first, then free stock. Using more than the lot can give
    is recorded as far as it goes, with a note: the ledger never goes negative."""
    # What is still reserved: a shrink may have released part of it since production
    # recorded the lots (its default consumption can name more than that).
    from_reserved = min(quantity, max(reservation.open_quantity, ZERO)) if reservation else ZERO
    from_free = min(quantity - from_reserved, max(lot.free, ZERO))
    taken = from_reserved + from_free
    note = "" if taken == quantity else f"reported {quantity} used, only {taken} was reserved or free"
    if reservation is not None:
        changes.consume_reservation(reservation, from_reserved)
    if taken > 0:
        changes.post_movement(
            lot, "consumption", -taken, event_id, reserved=-from_reserved, batch_id=event.batch_id, note=note
        )
