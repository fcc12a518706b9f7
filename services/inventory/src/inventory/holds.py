"""Holds: a lot that may be neither allocated nor consumed (a quality hold, or part of a
recall). The hold itself is one flag that every query picking lots excludes
(`adapters.stock.lock_usable_lots`, the quote, the stock view); this module puts it on and
takes it off and deals with what was already set aside in the lot:

- finished goods allocated to orders stay allocated and are **blocked**: they wait for the
  hold to end (shipping blocks the prepared shipment that carries them). Blocking rather
  than releasing keeps the order's goods where they are when the hold is lifted after an
  investigation; when a recall disposes of the lot, the allocations are released and the
  lines re-covered then (see recalls.py).
- material reserved for a planned batch is moved to other lots of the material (FEFO);
  what other lots cannot give stays missing from the plan (reported, and logged).

Lock order, as everywhere: items (SKU order), then plans/reservations, then lots."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from contracts.events import LotHeld, LotReleased
from contracts.units import is_count
from eventkit import Context
from inventory.adapters.outgoing import emit_allocated
from inventory.adapters.stock import adjust, lock_items, lock_lots, lock_usable_lots, reserve, release_reservation, supply
from inventory.commands import Refused
from inventory.domain.fefo import choose_lots
from inventory.replenishment import replenish
from inventory.resumption import prepare, resume
from inventory.tables import Allocation, Lot, Reservation, utcnow

log = logging.getLogger("inventory.holds")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Unreserved:
    """Material a planned batch lost with a hold and no other lot could give."""

    plan_id: str
    sku: str
    missing: Decimal


async def hold_lots(ctx: Context, lot_ids: list[str], reason: str, today: date, recall_id: str | None = None) -> list[Unreserved]:
    """Put the lots on hold, one LotHeld each. A lot on hold already is refused for a quality
    hold (409: it says why it is held) and taken into the recall for a recall."""
    session = ctx.session
    found = (await session.execute(select(Lot.sku).where(Lot.lot_id.in_(lot_ids)))).scalars().all()
    items = await lock_items(session, found)
    lots = await lock_lots(session, lot_ids)
    short: list[Unreserved] = []
    for lot in lots.values():
        if lot.on_hold and recall_id is None:
            raise Refused(409, f"lot {lot.lot_no} is on hold already: {lot.hold_reason}")
        lot.on_hold, lot.hold_reason, lot.hold_recall_id, lot.held_at = True, reason, recall_id, utcnow()
        lot.hold_seq += 1
        await session.flush()  # from here on lock_usable_lots no longer offers it
        short += await _move_reservations(session, lot, today, whole=is_count(items[lot.sku].base_unit))
        await ctx.emit(
            LotHeld(lot_id=lot.lot_id, lot_no=lot.lot_no, supplier_lot_no=lot.supplier_lot_no, sku=lot.sku, reason=reason,
                    recall_id=recall_id, hold_seq=lot.hold_seq, held_at=lot.held_at,
                    orders=await orders_allocated_in(session, lot.lot_id)),
            correlation_id=recall_id or lot.lot_id,
        )
    await replenish(ctx, set(items), today)  # held stock is no longer free: a reorder point may be crossed
    return short


async def release_lots(ctx: Context, lot_ids: list[str], reason: str, today: date, recall_id: str | None = None) -> None:
    """End the holds (one LotReleased each); the stock is offered at once to the lines
    waiting for it (priority, then age), like a goods receipt."""
    session = ctx.session
    skus = set((await session.execute(select(Lot.sku).where(Lot.lot_id.in_(lot_ids)))).scalars())
    waiting, items = await prepare(session, skus)  # items first: the lock order of every stock change
    for lot in (await lock_lots(session, lot_ids)).values():
        if not lot.on_hold:
            continue
        lot.on_hold, lot.hold_reason, lot.hold_recall_id, lot.held_at = False, None, None, None
        lot.hold_seq += 1
        await ctx.emit(
            LotReleased(lot_id=lot.lot_id, lot_no=lot.lot_no, sku=lot.sku, reason=reason, recall_id=recall_id,
                        hold_seq=lot.hold_seq, released_at=utcnow(), orders=await orders_allocated_in(session, lot.lot_id)),
            correlation_id=recall_id or lot.lot_id,
        )
    await session.flush()
    await emit_allocated(ctx, await resume(ctx, waiting, items, today))


async def orders_allocated_in(session, lot_id: str) -> list[str]:
    """Orders with goods of the lot set aside and not shipped (blocked while it is held)."""
    rows = await session.execute(
        select(Allocation.order_id).where(
            Allocation.lot_id == lot_id, Allocation.quantity - Allocation.shipped - Allocation.released > 0
        ).distinct().order_by(Allocation.order_id)
    )
    return list(rows.scalars())


async def _move_reservations(session, held: Lot, today: date, whole: bool) -> list[Unreserved]:
    """Material reserved in the held lot goes back and is reserved again in other lots."""
    reservations = (
        await session.execute(
            select(Reservation).where(Reservation.lot_id == held.lot_id, Reservation.status == "open")
            .order_by(Reservation.plan_id).with_for_update(),
            execution_options={"populate_existing": True},
        )
    ).scalars().all()
    short: list[Unreserved] = []
    for reservation in reservations:
        quantity = reservation.open_quantity
        if quantity <= 0:
            continue
        await release_reservation(session, held, reservation, quantity)
        lots = await lock_usable_lots(session, held.sku, today)
        by_id = {lot.lot_id: lot for lot in lots}
        pick = choose_lots([supply(lot) for lot in lots], quantity, today, whole=whole)
        for take in pick.takes:
            await _reserve_more(session, by_id[take.lot.lot_id], reservation.plan_id, take.quantity)
        if pick.missing > 0:
            log.warning("plan %s lost %s of %s with the hold on lot %s: no other lot can give it",
                        reservation.plan_id, pick.missing, held.sku, held.lot_no)
            short.append(Unreserved(reservation.plan_id, held.sku, pick.missing))
    return short


async def _reserve_more(session, lot: Lot, plan_id: str, quantity: Decimal) -> None:
    """One reservation per plan and lot: a plan that already has one in this lot grows it."""
    existing = (
        await session.execute(
            select(Reservation).where(Reservation.plan_id == plan_id, Reservation.lot_id == lot.lot_id).with_for_update(),
            execution_options={"populate_existing": True},
        )
    ).scalar_one_or_none()
    if existing is None:
        await reserve(session, lot, plan_id, quantity)
        return
    await adjust(session, lot, reserved=quantity)
    existing.quantity = existing.quantity + quantity
    existing.status = "open"
