"""BatchCompleted: consume the material actually used, release the rest of the plan's
reservations, put the output in stock as a finished lot (lot_no = batch_no) and allocate it
to the orders promised against the plan, higher priority first, then older orders. A yield
shortfall re-plans what the output could not cover (surplus of another plan, a new plan, or
waiting) and the partly served orders are told `backordered`: their allocated part may ship.
Each step is a module of `inventory.completion`; this one takes the locks and runs them."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import BatchCompleted
from eventkit import Context
from inventory.adapters.outgoing import emit_allocated
from inventory.adapters.stock import LotChanges, lock_lots
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


# The plan locked with its open reservations (built once: see _lock).
_LOCK_PLAN = (
    select(Plan, Reservation)
    .outerjoin(Reservation, and_(Reservation.plan_id == Plan.plan_id, Reservation.status == "open"))
    .where(Plan.plan_id == bindparam("plan_id"))
    .order_by(Reservation.lot_id)
    .with_for_update(of=Plan)
)


async def on_batch_completed(ctx: Context, event: BatchCompleted) -> None:
    await complete_batch(ctx, event, today())


async def complete_batch(ctx: Context, event: BatchCompleted, today: date) -> None:
    session = ctx.session
    event_id = ctx.envelope.event_id if ctx.envelope else None
    completion = await record_completion(session, event)
    if completion is None:
        return  # this batch's completion was applied before
    consumed, used_skus, reserved_lots = await consumption_by_lot(session, event)
    found, items, plan, reservations, lots = await _lock(session, event, set(consumed), used_skus, reserved_lots)

    # What is used, what goes back and what the output serves, in one write: nothing between
    # here and the write reads those lots' quantities from the database.
    changes = LotChanges()
    await consume_materials(session, event, event_id, consumed, reservations, lots, items, changes)
    release_unused(reservations, lots, changes)
    lot, output = await put_in_stock(ctx, event, completion, items, today, event_id)
    orders: list[str] = []
    promises = []
    if plan is None:
        log.warning("batch %s completed without a plan here: its output goes to stock", event.batch_no)
    else:
        plan.status, plan.batch_no, plan.output_quantity, plan.completed_at = "completed", event.batch_no, output, utcnow()
        orders, promises = await allocate_output(session, plan, lot, output, completion, changes)
    await changes.write(session)
    short = release_shortfall(plan, promises) if plan is not None else set()
    # The output and the unused material serve the lines waiting for them; the lines the
    # output could not serve (their promises just released) are re-planned with them.
    orders += await resume(ctx, found, items, today)
    orders += await mark_backordered(session, short)
    await emit_allocated(ctx, orders)
    # Materials used beyond their reservation, a yield shortfall, resumed lines: positions moved.
    await replenish(ctx, set(items), today)


async def _lock(
    session: AsyncSession, event: BatchCompleted, used_lots: set[str], used_skus: set[str], reserved_lots: dict[str, str]
) -> tuple[Resumable, dict[str, Item], Plan | None, list[Reservation], dict[str, Lot]]:
    """Every lock a completion takes, in the order every stock change takes them
    (`adapters/stock.py`): the items in SKU order - the product, the materials reserved or
    used, and those of the lines the output or the freed material may serve - then the plan
    row, then the lots reserved or used (lot-id order). Taking the product's item lock is what
    serializes a completion with a cancellation of an order promised on the plan.
    `reserved_lots`: lot id -> SKU of the plan's open reservations, read before the locks."""
    lot_ids = set(reserved_lots) | used_lots
    reserved_skus = set(reserved_lots.values())
    skus = reserved_skus | used_skus
    found, items = await prepare(
        session, {event.sku} | reserved_skus, plan_id=event.batch_id, more_skus=skus | {event.sku}
    )
    # The plan locked and its open reservations read again, in one statement: a shrink may
    # have released part of them meanwhile, and whatever did so held one of the item locks
    # taken above, so this statement's snapshot (taken after them) includes it.
    rows = (await session.execute(_LOCK_PLAN, {"plan_id": event.batch_id}, execution_options={"populate_existing": True})).all()
    plan = rows[0][0] if rows else None
    reservations = [r for _, r in rows if r is not None]
    lots = await lock_lots(session, lot_ids)
    return found, items, plan, reservations, lots
