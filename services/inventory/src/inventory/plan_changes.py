"""Production changed a batch inventory planned: BatchCancelled releases every material it
still reserved and re-plans the live orders promised on it; a shrunk BatchScheduled makes
the plan smaller (never below what its promises need) and releases the material it no
longer needs. Freed material is offered to the lines waiting for it."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from contracts.events import BatchCancelled, BatchScheduled
from contracts.units import IncompatibleUnits, Unit, is_count
from eventkit import Context, DomainRejection
from inventory.adapters.outgoing import emit_allocated
from inventory.adapters.stock import lock_lots, lock_plans, open_reservations, release_reservation
from inventory.domain.fefo import LotSupply, choose_to_release
from inventory.domain.planning import batch_for, excess_material, material_needs, proportional_excess, shrunk_batch
from inventory.domain.quantities import to_base
from inventory.making import recipe_of
from inventory.replenishment import replenish
from inventory.resumption import prepare, resume
from inventory.tables import Item, Lot, Plan, Promise, RecipeReplica, Reservation

log = logging.getLogger("inventory.plan_changes")
ZERO = Decimal(0)


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
    await emit_allocated(ctx, await resume(ctx, found, items, today))
    # The plan's output is no longer coming. A batch for stock the operator cancelled is
    # not planned again at once (that is what they cancelled); the next draw decides.
    await replenish(ctx, set(items) - ({plan.sku} if plan.purpose == "stock" else set()), today)


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


async def fit_plan(
    session, plan: Plan, reservations: list[Reservation], lots: dict[str, Lot], items: dict[str, Item]
) -> set[str]:
    """Shrink a planned plan to production's latest planned quantity as far as its promises
    allow (batch rule on what is promised) and release the material the smaller batch no
    longer needs, from the latest-expiring reserved lots. Returns the materials released."""
    if plan.status != "planned" or plan.scheduled_quantity is None:
        return set()
    row = await session.get(RecipeReplica, plan.sku)
    recipe = recipe_of(row) if row is not None else None
    try:
        needed = batch_for(plan.promised, plan.unit, recipe) if recipe else plan.promised
    except IncompatibleUnits:
        needed = plan.promised
    new = shrunk_batch(plan.scheduled_quantity, needed, plan.batch_quantity)
    if new is None:
        return set()
    old, plan.batch_quantity = plan.batch_quantity, new
    reserved: dict[str, Decimal] = {}
    for r in reservations:
        reserved[r.sku] = reserved.get(r.sku, ZERO) + r.open_quantity
    units = {sku: Unit(item.base_unit) for sku, item in items.items()}
    excess = proportional_excess(reserved, old, new, units)
    if recipe is not None and recipe.version == plan.recipe_version:
        try:
            excess = excess_material(material_needs(old, plan.unit, recipe, units), material_needs(new, plan.unit, recipe, units))
        except IncompatibleUnits:
            pass
    released: set[str] = set()
    for sku in sorted(excess):
        mine = {r.lot_id: r for r in reservations if r.sku == sku and r.open_quantity > 0}
        held = [
            LotSupply(lot_id, lots[lot_id].lot_no, r.open_quantity, lots[lot_id].expiry_date, lots[lot_id].received_date)
            for lot_id, r in mine.items()
        ]
        whole = sku in units and is_count(units[sku])
        for take in choose_to_release(held, min(excess[sku], reserved.get(sku, ZERO)), whole).takes:
            await release_reservation(session, lots[take.lot.lot_id], mine[take.lot.lot_id], take.quantity)
            released.add(sku)
    log.info("plan %s shrunk from %s to %s %s; released %s", plan.plan_id, old, new, plan.unit, sorted(released))
    return released
