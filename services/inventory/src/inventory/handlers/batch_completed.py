"""BatchCompleted: consume the material actually used, release the rest of the plan's
reservations, put the output in stock as a finished lot (lot_no = batch_no) and allocate it
to the orders promised against the plan, higher priority first, then older orders. A yield
shortfall re-plans what the output could not cover (surplus of another plan, a new plan, or
waiting) and the partly served orders are told `backordered`: their allocated part may ship.
Each step is a module of `inventory.completion`; this one takes the locks and runs them."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import BatchCompleted
from eventkit import Context
from inventory.adapters.outgoing import emit_allocated
from inventory.adapters.stock import LotChanges, lock_lots, open_reservations
from inventory.clock import today
from inventory.completion.consumption import consume_materials, release_unused
from inventory.completion.output_stock import put_in_stock
from inventory.completion.promised_orders import allocate_output
from inventory.completion.recording import consumption_by_lot, record_completion
from inventory.completion.shortfall import mark_backordered, release_shortfall
from inventory.replenishment import replenish
from inventory.resumption import Resumable, prepare, resume
from inventory.tables import Item, Lot, Plan, Reservation, utcnow

log = logging.getLogger("inventory.completion")


async def on_batch_completed(ctx: Context, event: BatchCompleted) -> None:
    await complete_batch(ctx, event, today())


async def complete_batch(ctx: Context, event: BatchCompleted, today: date) -> None:
    session = ctx.session
    event_id = ctx.envelope.event_id if ctx.envelope else None
    if not await record_completion(session, event):
        return  # this batch's completion was applied before
    consumed, used_skus = await consumption_by_lot(session, event)
    found, items, plan, reservations, lots = await _lock(session, event, set(consumed), used_skus)

    changes = LotChanges()  # what is used and what goes back, in one write
    await consume_materials(session, event, event_id, consumed, reservations, lots, items, changes)
    release_unused(reservations, lots, changes)
    await changes.write(session)
    lot, output, completion = await put_in_stock(ctx, event, items, today, event_id)
    orders: list[str] = []
    short: set[str] = set()
    if plan is None:
        log.warning("batch %s completed without a plan here: its output goes to stock", event.batch_no)
    else:
        plan.status, plan.batch_no, plan.output_quantity, plan.completed_at = "completed", event.batch_no, output, utcnow()
        orders = await allocate_output(session, plan, lot, output, completion)
        short = await release_shortfall(session, plan)
    # The output and the unused material serve the lines waiting for them; the lines the
    # output could not serve (their promises just released) are re-planned with them.
    orders += await resume(ctx, found, items, today)
    orders += await mark_backordered(session, short)
    await emit_allocated(ctx, orders)
    # Materials used beyond their reservation, a yield shortfall, resumed lines: positions moved.
    await replenish(ctx, set(items), today)


async def _lock(
    session: AsyncSession, event: BatchCompleted, used_lots: set[str], used_skus: set[str]
) -> tuple[Resumable, dict[str, Item], Plan | None, list[Reservation], dict[str, Lot]]:
    """Every lock a completion takes, in the order every stock change takes them
    (`adapters/stock.py`): the items in SKU order - the product, the materials reserved or
    used, and those of the lines the output or the freed material may serve - then the plan
    row, then the lots reserved or used (lot-id order). Taking the product's item lock is what
    serializes a completion with a cancellation of an order promised on the plan."""
    reservations = (
        await session.execute(
            select(Reservation).where(Reservation.plan_id == event.batch_id, Reservation.status == "open")
        )
    ).scalars().all()
    lot_ids = {r.lot_id for r in reservations} | used_lots
    skus = {r.sku for r in reservations} | used_skus
    found, items = await prepare(
        session, {event.sku} | {r.sku for r in reservations}, plan_id=event.batch_id, more_skus=skus | {event.sku}
    )
    plan = await session.get(Plan, event.batch_id, with_for_update=True, populate_existing=True)
    # Read again under the locks: a shrink may have released part of them meanwhile.
    reservations = await open_reservations(session, [event.batch_id])
    lots = await lock_lots(session, lot_ids)
    return found, items, plan, reservations, lots
