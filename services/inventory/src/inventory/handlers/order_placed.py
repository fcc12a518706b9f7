"""OrderPlaced: cover each order line from finished stock (FEFO), then from the surplus of
open production plans, then by a new plan whose materials are reserved; what cannot be
covered waits for materials (MaterialsShort). An order cancelled before it arrived is ignored."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import DateTime, Integer, String, and_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import OrderPlaced
from eventkit import Context, DomainRejection, serialized_by
from inventory.adapters.outgoing import new_order_allocated
from inventory.adapters.stock import order_lock
from inventory.clock import today
from inventory.covering import cover_line
from inventory.replenishment import replenish
from inventory.tables import Allocation, CancelledOrder, DemandLine, Item, Lot, OrderDemand, RecipeReplica

log = logging.getLogger("inventory.placement")


_SKUS = bindparam("skus", expanding=True)
_FRESH = {"populate_existing": True}
# Built once (building a statement cost about what running it did).
_MATERIALS = select(
    func.jsonb_array_elements(RecipeReplica.ingredients, type_=JSONB)["sku"].astext
).where(RecipeReplica.sku.in_(_SKUS))
_LOCK_ITEMS_AND_RECIPES = (
    select(Item, RecipeReplica)
    .outerjoin(RecipeReplica, and_(RecipeReplica.sku == Item.sku, RecipeReplica.sku.in_(_SKUS)))
    .where(or_(Item.sku.in_(_SKUS), Item.sku.in_(_MATERIALS)))
    .order_by(Item.sku)
    .with_for_update(of=Item, key_share=True)
)
_RECIPES = select(RecipeReplica).where(RecipeReplica.sku.in_(_SKUS))
_NOT_CANCELLED = ~select(CancelledOrder.order_id).where(CancelledOrder.order_id == bindparam("order_id")).exists()
# The table, not the entity: an ORM insert given parameters would take them for rows to insert.
_RECORD_ORDER = (
    insert(OrderDemand.__table__)
    .from_select(
        ["order_id", "order_no", "priority", "placed_at", "customer"],
        select(
            bindparam("order_id", type_=String), bindparam("order_no", type_=String),
            bindparam("priority", type_=Integer), bindparam("placed_at", type_=DateTime(timezone=True)),
            bindparam("customer", type_=String),
        ).where(_NOT_CANCELLED),
    )
    .on_conflict_do_nothing()
    .returning(OrderDemand.__table__.c.order_id)
)


@serialized_by(lambda event: order_lock(event.order_id))
async def on_order_placed(ctx: Context, event: OrderPlaced) -> None:
    await place_order(ctx, event, today())


async def place_order(ctx: Context, event: OrderPlaced, today: date) -> None:
    session = ctx.session
    line_nos = [line.line_no for line in event.lines]
    if len(set(line_nos)) != len(line_nos):
        raise DomainRejection(f"order {event.order_id} repeats a line number: {sorted(line_nos)}")
    await ctx.lock(order_lock(event.order_id))
    if not await _record_order(session, event):
        if await session.get(CancelledOrder, event.order_id) is not None:
            log.info("order %s was cancelled before it was placed here: nothing set aside", event.order_id)
        return  # or the same order placed before (another event id): already handled
    skus = {line.sku for line in event.lines}
    items, recipes = await _lock_items_and_recipes(session, skus)
    materials = {ing["sku"] for r in recipes.values() for ing in r.ingredients}
    demands: list[DemandLine] = []
    allocated: list[tuple[Allocation, Lot]] = []
    for line in sorted(event.lines, key=lambda ln: ln.line_no):
        demand = DemandLine(
            order_id=event.order_id, line_no=line.line_no, sku=line.sku, quantity=line.quantity, unit=line.unit,
            ordered_quantity=line.quantity, ordered_unit=line.unit,
        )
        session.add(demand)
        demands.append(demand)
        allocated += await cover_line(ctx, demand, items, recipes.get(line.sku), today)
    if allocated:
        await ctx.emit(new_order_allocated(event.order_id, demands, allocated))
    # The order drew on its products (stock, a plan's surplus) and maybe on materials.
    await replenish(ctx, skus | materials, today)


async def _lock_items_and_recipes(
    session: AsyncSession, skus: set[str]
) -> tuple[dict[str, Item], dict[str, RecipeReplica]]:
    """Every item this order may touch - its products and their recipes' materials - locked up
    front, in SKU order (concurrent orders competing for a product or a material queue here
    instead of deadlocking later), with the products' recipes, in one statement. The recipes
    are read as of the statement's start, as they were when read in a statement of their own
    before the locks."""
    wanted = sorted(skus)
    rows = (await session.execute(_LOCK_ITEMS_AND_RECIPES, {"skus": wanted}, execution_options=_FRESH)).all()
    items = {item.sku: item for item, _ in rows}
    recipes = {recipe.sku: recipe for _, recipe in rows if recipe is not None}
    unknown = [sku for sku in wanted if sku not in items]
    if unknown:  # rare: a product with no item here may still have a recipe (its materials are locked)
        recipes.update(
            (r.sku, r)
            for r in (await session.execute(_RECIPES, {"skus": unknown})).scalars()
        )
    return items, recipes


async def _record_order(session: AsyncSession, event: OrderPlaced) -> bool:
    """The order recorded unless it was placed or cancelled before: one statement (taken
    after the order's advisory lock, so it sees a cancellation that committed meanwhile)."""
    inserted = await session.execute(
        _RECORD_ORDER,
        {"order_id": event.order_id, "order_no": event.order_no, "priority": event.priority,
         "placed_at": event.placed_at, "customer": event.customer.name},
    )
    return inserted.first() is not None
