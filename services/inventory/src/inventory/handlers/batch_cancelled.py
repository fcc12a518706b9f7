"""BatchCancelled: production cancelled a batch inventory planned. Every material it still
reserved is released, and the live orders promised on it are re-planned as if newly placed
(the surplus of another plan, a new plan, or waiting) together with the lines waiting for
the freed material, in the fair order; not the lines of the orders whose cancellation
cancelled the batch (`cancelled_orders`)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

from sqlalchemy import select

from contracts.events import BatchCancelled
from eventkit import Context
from inventory.adapters.outgoing import emit_allocated
from inventory.adapters.stock import lock_lots, lock_plans, open_reservations, release_reservation
from inventory.clock import today
from inventory.replenishment import replenish
from inventory.resumption import prepare, resume
from inventory.tables import Plan, Promise

log = logging.getLogger("inventory.plan_changes")


async def on_batch_cancelled(ctx: Context, event: BatchCancelled) -> None:
    await cancel_plan(ctx, event, today())


async def cancel_plan(ctx: Context, event: BatchCancelled, today: date) -> None:
    session = ctx.session
    plan = await session.get(Plan, event.batch_id)
    if plan is None:
        log.warning("batch %s cancelled, but inventory never planned it", event.batch_no)
        return
    if plan.status != "planned":
        return  # cancelled before (nothing left), or completed (its output is stock now)
    wake = {r.sku for r in await open_reservations(session, [plan.plan_id])}
    found, items = await prepare(session, wake, plan_id=plan.plan_id, more_skus={plan.sku})
    plan = (await lock_plans(session, [plan.plan_id]))[plan.plan_id]
    if plan.status != "planned":
        return
    reservations = await open_reservations(session, [plan.plan_id])
    lots = await lock_lots(session, {r.lot_id for r in reservations})
    for reservation in reservations:
        await release_reservation(session, lots[reservation.lot_id], reservation, reservation.open_quantity)
    plan.status, plan.cancelled_at = "cancelled", event.cancelled_at
    # Promises of live orders die with the plan; their lines are re-planned below as if new.
    promises = (
        await session.execute(
            select(Promise).where(Promise.plan_id == plan.plan_id), execution_options={"populate_existing": True}
        )
    ).scalars().all()
    for promise in promises:
        rest = promise.open_quantity
        if rest > 0:
            promise.released = promise.released + rest
            plan.promised = plan.promised - rest
    if event.cancelled_orders:
        # The batch went because these orders were cancelled: their lines are not planned again
        # (a plan, a batch number, a "materials reserved" on a cancelled order's timeline) while
        # their OrderCancelled, on another topic, is still on its way; it closes them.
        gone = set(event.cancelled_orders)
        found = replace(found, lines=[key for key in found.lines if key[0] not in gone])
    await emit_allocated(ctx, await resume(ctx, found, items, today))
    # The plan's output is no longer coming. A batch for stock the operator cancelled is
    # not planned again at once (that is what they cancelled); the next draw decides.
    await replenish(ctx, set(items) - ({plan.sku} if plan.purpose == "stock" else set()), today)
