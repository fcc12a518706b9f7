"""Covering (the rest of) an order line, the same way whether the order was just placed or a
waiting / re-planned line is retried: finished stock FEFO, then the unpromised surplus of
open production plans, then a new plan whose materials are reserved, else it waits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from contracts.events import MaterialsReserved
from contracts.units import IncompatibleUnits, is_count
from eventkit import Context
from inventory.adapters.stock import LotChanges, lock_usable_lots, supply
from inventory.domain.fefo import choose_lots
from inventory.domain.pieces import fractional_pieces, need_up
from inventory.domain.planning import OpenPlan, promise_from_plans
from inventory.domain.quantities import to_base
from inventory.index_predicates import open_plans
from inventory.making import plan_new_batch, recipe_of
from inventory.tables import Allocation, DemandLine, Item, Lot, Plan, Promise, RecipeReplica
from inventory.waiting import Waiting, wait_for


async def cover_line(
    ctx: Context, demand: DemandLine, items: dict[str, Item], recipe: RecipeReplica | None, today: date,
    need: Decimal | None = None, before: Waiting | None = None,
) -> list[tuple[Allocation, Lot]]:
    """Cover `need` (default: the whole line) of the line. The items it may touch are locked
    by the caller. `before`: what the line waited for (a retry stays quiet if nothing changed).
    Returns the allocations of finished stock it made, with their lots (none: empty)."""
    item = items.get(demand.sku)
    base_unit = item.base_unit if item else (recipe.output_unit if recipe else None)
    if base_unit is None:
        await wait_for(ctx, demand, need or demand.quantity, reason=f"unknown SKU {demand.sku}: no item and no recipe",
                       before=before, code="unknown_item")
        return []
    if demand.unit != base_unit:
        # Nothing of a line is covered before its quantity is in the item's base unit.
        try:
            demand.quantity = to_base(demand.ordered_quantity, demand.ordered_unit, base_unit, round_up=True)
            demand.unit = base_unit
            need = None
        except IncompatibleUnits as exc:
            await wait_for(ctx, demand, need or demand.quantity,
                           reason=f"unit {demand.ordered_unit} does not fit {demand.sku}: {exc}", before=before,
                           code="bad_unit")
            return []
    if fractional_pieces(demand.quantity, demand.unit):
        # Orders refuses fractional pieces at the door; an older line still gets whole ones.
        demand.quantity = need_up(demand.quantity, demand.unit)
        need = None
    await ctx.session.flush()

    left = demand.quantity if need is None else need
    allocated: list[tuple[Allocation, Lot]] = []
    if item is not None:
        lots = await lock_usable_lots(ctx.session, demand.sku, today)
        by_id = {lot.lot_id: lot for lot in lots}
        pick = choose_lots([supply(lot) for lot in lots], left, today, whole=is_count(demand.unit))
        changes = LotChanges()
        for take in pick.takes:
            lot = by_id[take.lot.lot_id]
            allocated.append((changes.allocate(lot, demand.order_id, demand.line_no, take.quantity), lot))
        await changes.write(ctx.session)
        left = pick.missing
    if left > 0:
        left = await _promise_surplus(ctx, demand, left)
    if left > 0:
        if recipe is None:
            await wait_for(ctx, demand, left, reason=f"no recipe for {demand.sku}: it cannot be made", before=before,
                           code="no_recipe")
        else:
            await plan_new_batch(ctx, demand, left, recipe_of(recipe), items, today, before=before)
    return allocated


async def _promise_surplus(ctx: Context, demand: DemandLine, need: Decimal) -> Decimal:
    """Promise against what open plans of the SKU will make beyond their promises."""
    plans = (
        await ctx.session.execute(
            select(Plan)
            .where(Plan.sku == demand.sku, open_plans(), Plan.promised < Plan.batch_quantity)
            .order_by(Plan.created_at, Plan.plan_id)
            .with_for_update(),
            execution_options={"populate_existing": True},
        )
    ).scalars().all()
    by_id = {p.plan_id: p for p in plans}
    promised, left = promise_from_plans(need, [OpenPlan(p.plan_id, p.batch_quantity - p.promised) for p in plans])
    for plan_id, quantity in promised:
        plan = by_id[plan_id]
        plan.promised = plan.promised + quantity
        await _add_promise(ctx, plan_id, demand, quantity)
        await ctx.emit(
            MaterialsReserved(
                order_id=demand.order_id, line_no=demand.line_no, plan_id=plan_id, sku=demand.sku,
                quantity_promised=quantity, batch_quantity=plan.batch_quantity, unit=plan.unit,
                recipe_version=plan.recipe_version, lead_time_days=plan.lead_time_days, reservations=[],
                plan_purpose=plan.purpose,
            ),
            correlation_id=demand.order_id,
        )
    return left


async def _add_promise(ctx: Context, plan_id: str, demand: DemandLine, quantity: Decimal) -> None:
    """A line promised again on a plan it had a (released) promise on grows that promise."""
    existing = await ctx.session.get(Promise, (plan_id, demand.order_id, demand.line_no), populate_existing=True)
    if existing is None:
        ctx.session.add(Promise(plan_id=plan_id, order_id=demand.order_id, line_no=demand.line_no, quantity=quantity))
    else:
        existing.quantity = existing.quantity + quantity
