"""Stock in the database: row locks, the ledger, reservations and allocations.

Locking discipline (why there are no deadlocks between our own handlers, and no oversell):
every transaction that changes stock first locks the item rows it touches, sorted by SKU
(`FOR NO KEY UPDATE`, which still lets a goods receipt insert a new lot of the item), then
the lot rows it takes (`FOR UPDATE`, FEFO or lot-id order). The CHECK constraints on `lots`
are the last line: every change is a relative UPDATE (`reserved = reserved + q`) judged on
the real row, so even a stale read fails the transaction instead of overselling."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)

from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.domain.fefo import LotSupply
from inventory.tables import Allocation, Item, Lot, Reservation, StockMovement


def new_id() -> str:
    return str(uuid.uuid4())


async def lock_items(session: AsyncSession, skus: Iterable[str]) -> dict[str, Item]:
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Item).where(Item.sku.in_(wanted)).order_by(Item.sku).with_for_update(key_share=True),
        execution_options={"populate_existing": True},
    )
    return {item.sku: item for item in rows.scalars()}


async def lock_usable_lots(session: AsyncSession, sku: str, today: date) -> list[Lot]:
    """The lots of `sku` with free stock and not expired, locked, in FEFO order."""
    rows = await session.execute(
        select(Lot)
        .where(
            Lot.sku == sku,
            or_(Lot.expiry_date.is_(None), Lot.expiry_date > today),
            Lot.on_hand - Lot.reserved - Lot.allocated > 0,
        )
        .order_by(Lot.expiry_date.asc().nulls_last(), Lot.received_date, Lot.lot_no, Lot.lot_id)
        .with_for_update(),
        execution_options={"populate_existing": True},
    )
    return list(rows.scalars())


async def lock_lots(session: AsyncSession, lot_ids: Iterable[str]) -> dict[str, Lot]:
    wanted = sorted(set(lot_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Lot).where(Lot.lot_id.in_(wanted)).order_by(Lot.lot_id).with_for_update(),
        execution_options={"populate_existing": True},
    )
    return {lot.lot_id: lot for lot in rows.scalars()}


def supply(lot: Lot) -> LotSupply:
    return LotSupply(lot.lot_id, lot.lot_no, lot.free, lot.expiry_date, lot.received_date)


async def adjust(
    session: AsyncSession, lot: Lot, *, on_hand: Decimal = ZERO, reserved: Decimal = ZERO, allocated: Decimal = ZERO
) -> None:
    """Change a lot's quantities relatively, in SQL, and take the row's new values back."""
    if lot in session.new:
        await session.flush()
    table = Lot.__table__
    row = (
        await session.execute(
            update(table)
            .where(table.c.lot_id == lot.lot_id)
            .values(
                on_hand=table.c.on_hand + on_hand,
                reserved=table.c.reserved + reserved,
                allocated=table.c.allocated + allocated,
            )
            .returning(table.c.on_hand, table.c.reserved, table.c.allocated)
        )
    ).one()
    for name, value in zip(("on_hand", "reserved", "allocated"), row):
        set_committed_value(lot, name, value)


async def post_movement(
    session: AsyncSession, lot: Lot, kind: str, quantity: Decimal, event_id: uuid.UUID | None = None, *,
    reserved: Decimal = ZERO, allocated: Decimal = ZERO, **refs: str | None,
) -> StockMovement:
    """The only way on-hand changes: a ledger row and the lot's cached on-hand, together.
    Consuming reserved or shipping allocated stock lowers those in the same UPDATE."""
    await adjust(session, lot, on_hand=quantity, reserved=reserved, allocated=allocated)
    movement = StockMovement(lot_id=lot.lot_id, sku=lot.sku, kind=kind, quantity=quantity, event_id=event_id, **refs)
    session.add(movement)
    return movement


async def reserve(session: AsyncSession, lot: Lot, plan_id: str, quantity: Decimal) -> Reservation:
    await adjust(session, lot, reserved=quantity)
    reservation = Reservation(reservation_id=new_id(), plan_id=plan_id, lot_id=lot.lot_id, sku=lot.sku, quantity=quantity)
    session.add(reservation)
    return reservation


async def allocate(
    session: AsyncSession, lot: Lot, order_id: str, line_no: int, quantity: Decimal, plan_id: str | None = None
) -> Allocation:
    await adjust(session, lot, allocated=quantity)
    allocation = Allocation(
        allocation_id=new_id(), order_id=order_id, line_no=line_no, lot_id=lot.lot_id, sku=lot.sku,
        quantity=quantity, plan_id=plan_id,
    )
    session.add(allocation)
    return allocation
