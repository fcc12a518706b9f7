"""OrderPlaced: cover each order line from finished stock (FEFO), then from the surplus of
open production plans, then by a new plan whose materials are reserved; what cannot be
covered waits for materials (MaterialsShort)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import MaterialsReserved, OrderPlaced
from contracts.events.base import OrderLine
from contracts.units import IncompatibleUnits
from eventkit import Context, DomainRejection
from inventory.adapters.outgoing import order_allocated
from inventory.adapters.stock import allocate, lock_items, lock_usable_lots, supply
from inventory.domain.fefo import choose_lots
from inventory.domain.planning import OpenPlan, promise_from_plans
from inventory.domain.quantities import to_base
from inventory.making import plan_new_batch, recipe_of
from inventory.waiting import wait_for
from inventory.tables import DemandLine, Item, OrderDemand, Plan, Promise, RecipeReplica


async def place_order(ctx: Context, event: OrderPlaced, today: date) -> None:
    session = ctx.session
    line_nos = [line.line_no for line in event.lines]
    if len(set(line_nos)) != len(line_nos):
        raise DomainRejection(f"order {event.order_id} repeats a line number: {sorted(line_nos)}")
    if not await _record_order(session, event):
        return  # the same order placed before (another event id): already handled
    skus = {line.sku for line in event.lines}
    recipes = {
        r.sku: r
        for r in (await session.execute(select(RecipeReplica).where(RecipeReplica.sku.in_(skus)))).scalars()
    }
    materials = {ing["sku"] for r in recipes.values() for ing in r.ingredients}
    # Every item this order may touch is locked up front, in SKU order: concurrent orders
    # competing for a product or a material queue here instead of deadlocking later.
    items = await lock_items(session, skus | materials)
    any_allocated = False
    for line in sorted(event.lines, key=lambda ln: ln.line_no):
        allocated = await _place_line(ctx, event, line, items, recipes.get(line.sku), today)
        any_allocated = any_allocated or allocated
    if any_allocated:
        await ctx.emit(await order_allocated(session, event.order_id))


async def _record_order(session: AsyncSession, event: OrderPlaced) -> bool:
    inserted = await session.execute(
        insert(OrderDemand)
        .values(
            order_id=event.order_id, order_no=event.order_no, priority=event.priority,
            placed_at=event.placed_at, customer=event.customer.name,
        )
        .on_conflict_do_nothing()
        .returning(OrderDemand.order_id)
    )
    return inserted.first() is not None


async def _place_line(
    ctx: Context, event: OrderPlaced, line: OrderLine, items: dict[str, Item],
    recipe: RecipeReplica | None, today: date,
) -> bool:
    """Returns True when finished stock was allocated to the line."""
    session = ctx.session
    item = items.get(line.sku)
    base_unit = item.base_unit if item else (recipe.output_unit if recipe else None)
    demand = DemandLine(
        order_id=event.order_id, line_no=line.line_no, sku=line.sku, quantity=line.quantity, unit=line.unit,
        ordered_quantity=line.quantity, ordered_unit=line.unit,
    )
    session.add(demand)
    if base_unit is None:
        await wait_for(ctx, demand, line.quantity, reason=f"unknown SKU {line.sku}: no item and no recipe")
        return False
    try:
        demand.quantity = to_base(line.quantity, line.unit, base_unit, round_up=True)
        demand.unit = base_unit
    except IncompatibleUnits as exc:
        await wait_for(ctx, demand, line.quantity, reason=f"unit {line.unit} does not fit {line.sku}: {exc}")
        return False
    await session.flush()

    left = demand.quantity
    allocated = False
    if item is not None:
        lots = await lock_usable_lots(session, line.sku, today)
        by_id = {lot.lot_id: lot for lot in lots}
        pick = choose_lots([supply(lot) for lot in lots], left, today)
        for take in pick.takes:
            await allocate(session, by_id[take.lot.lot_id], event.order_id, line.line_no, take.quantity)
            allocated = True
        left = pick.missing
    if left > 0:
        left = await _promise_surplus(ctx, demand, left)
    if left > 0:
        if recipe is None:
            await wait_for(ctx, demand, left, reason=f"no recipe for {line.sku}: it cannot be made")
        else:
            await plan_new_batch(ctx, demand, left, recipe_of(recipe), items, today)
    return allocated


async def _promise_surplus(ctx: Context, demand: DemandLine, need: Decimal) -> Decimal:
    """Promise against what open plans of the SKU will make beyond their promises."""
    plans = (
        await ctx.session.execute(
            select(Plan)
            .where(Plan.sku == demand.sku, Plan.status == "planned", Plan.promised < Plan.batch_quantity)
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
        ctx.session.add(Promise(plan_id=plan_id, order_id=demand.order_id, line_no=demand.line_no, quantity=quantity))
        await ctx.emit(
            MaterialsReserved(
                order_id=demand.order_id, line_no=demand.line_no, plan_id=plan_id, sku=demand.sku,
                quantity_promised=quantity, batch_quantity=plan.batch_quantity, unit=plan.unit,
                recipe_version=plan.recipe_version, lead_time_days=plan.lead_time_days, reservations=[],
            )
        )
    return left
