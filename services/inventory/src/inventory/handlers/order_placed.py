"""OrderPlaced: cover each order line from finished stock (FEFO), then from the surplus of
open production plans, then by a new plan whose materials are reserved; what cannot be
covered waits for materials (MaterialsShort). An order cancelled before it arrived is ignored."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import OrderPlaced
from contracts.events.base import OrderLine
from eventkit import Context, DomainRejection
from inventory.adapters.outgoing import order_allocated
from inventory.adapters.stock import lock_items, lock_order
from inventory.clock import today
from inventory.covering import cover_line
from inventory.replenishment import replenish
from inventory.tables import CancelledOrder, DemandLine, Item, OrderDemand, RecipeReplica

log = logging.getLogger("inventory.placement")


async def on_order_placed(ctx: Context, event: OrderPlaced) -> None:
    await place_order(ctx, event, today())


async def place_order(ctx: Context, event: OrderPlaced, today: date) -> None:
    session = ctx.session
    line_nos = [line.line_no for line in event.lines]
    if len(set(line_nos)) != len(line_nos):
        raise DomainRejection(f"order {event.order_id} repeats a line number: {sorted(line_nos)}")
    await lock_order(session, event.order_id)
    if await session.get(CancelledOrder, event.order_id) is not None:
        log.info("order %s was cancelled before it was placed here: nothing set aside", event.order_id)
        return
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
    # The order drew on its products (stock, a plan's surplus) and maybe on materials.
    await replenish(ctx, skus | materials, today)


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
    demand = DemandLine(
        order_id=event.order_id, line_no=line.line_no, sku=line.sku, quantity=line.quantity, unit=line.unit,
        ordered_quantity=line.quantity, ordered_unit=line.unit,
    )
    ctx.session.add(demand)
    return await cover_line(ctx, demand, items, recipe, today)
