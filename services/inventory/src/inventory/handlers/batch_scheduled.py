"""BatchScheduled: production dated (and maybe shrank) a batch inventory planned. The planned
end is kept for quotes; a shrink makes the plan smaller (never below what its promises
need) and releases the material it no longer needs, offered to the lines waiting for it."""

from __future__ import annotations

from datetime import date

from contracts.events import BatchScheduled
from contracts.units import IncompatibleUnits
from eventkit import Context, DomainRejection
from inventory.adapters.outgoing import emit_allocated
from inventory.adapters.stock import lock_lots, lock_plans, open_reservations
from inventory.clock import today
from inventory.domain.quantities import to_base
from inventory.replenishment import replenish
from inventory.resumption import prepare, resume
from inventory.shrinking import fit_plan
from inventory.tables import Plan


async def on_batch_scheduled(ctx: Context, event: BatchScheduled) -> None:
    await reschedule(ctx, event, today())


async def reschedule(ctx: Context, event: BatchScheduled, today: date) -> None:
    """A shrink releases material; any schedule dates the plan (its planned end, for quotes)."""
    session = ctx.session
    plan = await session.get(Plan, event.batch_id)
    if plan is None or plan.status != "planned":
        return
    # Remembered for quotes: the plan's unpromised surplus is ready at its planned end. One
    # batch's events come in order on its key, so the latest schedule is the one kept.
    plan.planned_end = event.planned_end
    try:
        planned = to_base(event.planned_quantity, event.unit, plan.unit)
    except IncompatibleUnits as exc:
        raise DomainRejection(f"batch {event.batch_no} planned in {event.unit}, its plan is in {plan.unit}") from exc
    if planned >= plan.batch_quantity:
        plan.scheduled_quantity = planned
        return
    wake = {r.sku for r in await open_reservations(session, [plan.plan_id])}
    found, items = await prepare(session, wake, more_skus={plan.sku})
    plan = (await lock_plans(session, [plan.plan_id]))[plan.plan_id]
    if plan.status != "planned":
        return
    plan.scheduled_quantity = planned
    plan.planned_end = event.planned_end
    reservations = await open_reservations(session, [plan.plan_id])
    lots = await lock_lots(session, {r.lot_id for r in reservations})
    if await fit_plan(session, plan, reservations, lots, items):
        await emit_allocated(ctx, await resume(ctx, found, items, today))
    await replenish(ctx, set(items), today)  # a smaller batch is less open supply
