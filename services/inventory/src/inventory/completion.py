"""BatchCompleted: consume the material actually used, release the rest of the plan's
reservations, put the output in stock as a finished lot (lot_no = batch_no) and allocate it
to the orders promised against the plan, higher priority first, then older orders. A yield
shortfall re-plans what the output could not cover (surplus of another plan, a new plan, or
waiting) and the partly served orders are told `backordered`: their allocated part may ship."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import BatchCompleted
from contracts.units import IncompatibleUnits
from eventkit import Context, DomainRejection
from inventory.adapters.outgoing import emit_allocated
from inventory.commands import announce
from inventory.adapters.stock import lock_lots, new_id, open_reservations, post_movement, release_reservation
from inventory.domain.quantities import to_base
from inventory.replenishment import replenish
from inventory.output import allocate_output, keeps_allocations, release_shortfall
from inventory.resumption import prepare, resume
from inventory.tables import CompletedBatch, Item, Lot, OrderDemand, Plan, RecipeReplica, Reservation, utcnow

log = logging.getLogger("inventory.completion")
ZERO = Decimal(0)


async def complete_batch(ctx: Context, event: BatchCompleted, today: date) -> None:
    session = ctx.session
    event_id = ctx.envelope.event_id if ctx.envelope else None
    if not await _record_completion(session, event):
        return  # this batch's completion was applied before
    reservations = (
        await session.execute(
            select(Reservation).where(Reservation.plan_id == event.batch_id, Reservation.status == "open")
        )
    ).scalars().all()
    consumed = await _consumption_by_lot(session, event)
    lot_ids = {r.lot_id for r in reservations} | set(consumed)
    skus = {lot.sku for lot in (await session.execute(select(Lot).where(Lot.lot_id.in_(lot_ids)))).scalars()}
    # Items first (SKU order), then the plan and the lots: the order every stock change uses.
    # The output and the unused material wake the lines waiting for them; the lines the
    # output cannot serve (yield shortfall) are re-planned with them.
    found, items = await prepare(
        session, {event.sku} | {r.sku for r in reservations}, plan_id=event.batch_id, more_skus=skus | {event.sku}
    )
    plan = await session.get(Plan, event.batch_id, with_for_update=True, populate_existing=True)
    # Read again under the locks: a shrink may have released part of them meanwhile.
    reservations = await open_reservations(session, [event.batch_id])
    lots = await lock_lots(session, lot_ids)
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
        await _consume(session, lot, by_lot.get(lot_id), quantity, event, event_id)
    for reservation in reservations:  # what was set aside but not used goes back to stock
        await release_reservation(session, lots[reservation.lot_id], reservation, reservation.open_quantity)
        reservation.status = "closed"

    item = items.get(event.sku) or await _finished_item(ctx, event)
    try:
        output = to_base(event.output_quantity, event.unit, item.base_unit)
    except IncompatibleUnits as exc:
        raise DomainRejection(f"batch {event.batch_no}: output in {event.unit}, {event.sku} is kept in {item.base_unit}") from exc
    lot = await _finished_lot(session, event, item, output, today, event_id) if output > 0 else None
    completion = await session.get(CompletedBatch, event.batch_id)
    completion.finished_lot_id = lot.lot_id if lot else None
    orders: list[str] = []
    short: set[str] = set()
    if plan is None:
        log.warning("batch %s completed without a plan here: its output goes to stock", event.batch_no)
    else:
        plan.status, plan.batch_no, plan.output_quantity, plan.completed_at = "completed", event.batch_no, output, utcnow()
        orders = await allocate_output(session, plan, lot, output, completion)
        short = await release_shortfall(session, plan)
    orders += await resume(ctx, found, items, today)
    for order_id in sorted(short):
        order = await session.get(OrderDemand, order_id)
        # Partly served and the rest re-planned or waiting: what was allocated may ship now.
        if await keeps_allocations(session, order_id):
            order.backordered = True
            orders.append(order_id)
    await emit_allocated(ctx, orders)
    # Materials used beyond their reservation, a yield shortfall, resumed lines: positions moved.
    await replenish(ctx, set(items), today)


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


async def _record_completion(session: AsyncSession, event: BatchCompleted) -> bool:
    inserted = await session.execute(
        insert(CompletedBatch)
        .values(
            batch_id=event.batch_id, batch_no=event.batch_no, sku=event.sku, planned_quantity=event.planned_quantity,
            output_quantity=event.output_quantity, waste_quantity=event.waste_quantity, unit=event.unit,
            completed_at=event.completed_at,
        )
        .on_conflict_do_nothing()
        .returning(CompletedBatch.batch_id)
    )
    return inserted.first() is not None


async def _consumption_by_lot(session: AsyncSession, event: BatchCompleted) -> dict[str, list]:
    """The event's consumption grouped by our lot id (a lot id we do not know is looked up
    by SKU and lot number - `lot_id` may itself be the number printed on the label, ours or
    the supplier's; a lot unknown every way is logged and skipped)."""
    grouped: dict[str, list] = {}
    for used in event.consumption:
        lot = await session.get(Lot, used.lot_id)
        for number in (used.lot_no, used.lot_id) if lot is None else ():
            lot = (
                await session.execute(
                    select(Lot).where(Lot.sku == used.sku, (Lot.lot_no == number) | (Lot.supplier_lot_no == number))
                    .order_by(Lot.lot_no != number, Lot.lot_id).limit(1)
                )
            ).scalar_one_or_none()
            if lot is not None:
                break
        if lot is None:
            log.warning("batch %s consumed unknown lot %s (%s)", event.batch_no, used.lot_no, used.lot_id)
            continue
        grouped.setdefault(lot.lot_id, []).append((used.quantity, used.unit))
    return grouped


async def _consume(
    session: AsyncSession, lot: Lot, reservation: Reservation | None, quantity: Decimal, event: BatchCompleted,
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
        reservation.consumed += from_reserved
    if taken > 0:
        await post_movement(
            session, lot, "consumption", -taken, event_id, reserved=-from_reserved, batch_id=event.batch_id, note=note
        )


async def _finished_item(ctx: Context, event: BatchCompleted) -> Item:
    """Goods were made of an item inventory does not know (production made it before the
    item was defined here): the stock is a physical fact, so the item is recorded - and
    announced like any other, so the catalog replicas learn of it."""
    recipe = await ctx.session.get(RecipeReplica, event.sku)
    item = Item(sku=event.sku, name=recipe.name if recipe else event.sku, kind="finished", base_unit=event.unit,
                shelf_life_days=recipe.shelf_life_days if recipe else None)
    ctx.session.add(item)
    await ctx.session.flush()
    await announce(ctx, item)
    return item


async def _finished_lot(
    session: AsyncSession, event: BatchCompleted, item: Item, output: Decimal, today: date, event_id: UUID | None
) -> Lot:
    lot_no = event.batch_no
    taken = (await session.execute(select(Lot.lot_id).where(Lot.sku == event.sku, Lot.lot_no == lot_no))).first()
    if taken is not None:  # a lot of that number exists already (e.g. typed in a receipt)
        lot_no = f"{event.batch_no}-{event.batch_id[:8]}"
    expiry = event.expiry_date
    if expiry is None and item.shelf_life_days:
        expiry = today + timedelta(days=item.shelf_life_days)
    lot = Lot(
        lot_id=new_id(), sku=event.sku, lot_no=lot_no, source="production", batch_id=event.batch_id,
        received_date=today, expiry_date=expiry,
    )
    session.add(lot)
    await post_movement(session, lot, "production", output, event_id, batch_id=event.batch_id)
    await session.flush()
    return lot
