"""Waiting demand is retried when supply appears (goods receipt, stock or material released
by a cancellation, a batch's output or unused reservations) and lines whose plan failed
(cancelled batch, yield shortfall) are re-planned, all in one fair order: higher order
priority first, then the older order. A retry covers a line as if it were newly placed."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, and_, bindparam, func, select, tuple_, union
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit import Context
from inventory.adapters.outgoing import emit_allocated
from inventory.adapters.stock import lock_items
from inventory.covering import cover_line
from inventory.index_predicates import waiting_lines
from inventory.replenishment import replenish, waiting_on
from inventory.tables import Allocation, DemandLine, Item, LineShortage, OrderDemand, Promise, RecipeReplica
from inventory.waiting import shortages_of, stop_waiting, waiting_from

ZERO = Decimal(0)


@dataclass(frozen=True)
class Resumable:
    lines: list[tuple[str, int]]  # (order_id, line_no), in the order they are served
    skus: set[str]  # every item retrying them may touch: their products and materials
    recipes: dict[str, RecipeReplica] | None = None  # of the products, when the search read them already


async def find_resumable(session: AsyncSession, wake: Collection[str], plan_id: str | None = None) -> Resumable:
    """Open lines waiting for one of the `wake` SKUs (as the product or a short material),
    and lines with an open promise on `plan_id` (a plan that failed them)."""
    if not wake and plan_id is None:
        return Resumable([], set())
    rows = (
        await session.execute(_search(bool(wake), plan_id is not None), {"wake": sorted(wake), "plan_id": plan_id})
    ).all()
    if not rows:
        return Resumable([], set())
    products = {sku for _, _, sku, _ in rows}
    recipes = {r.sku: r for _, _, _, r in rows if r is not None}
    materials = {ing["sku"] for r in recipes.values() for ing in r.ingredients}
    return Resumable([(o, n) for o, n, _, _ in rows], products | materials, recipes)


@cache
def _search(by_wake: bool, by_plan: bool) -> Select:
    """The search's statement, built once per shape (building it took most of a millisecond,
    and a completion runs it twice)."""
    # Each way a line can be resumable is found through its own index (waiting lines by
    # product, shortage rows by material, promises by plan), so the search costs what it finds:
    # demand lines are never closed, and one OR over all of them scanned the whole history.
    wake = bindparam("wake", expanding=True)
    found = []
    if by_wake:
        found.append(
            select(DemandLine.order_id, DemandLine.line_no)
            .where(waiting_lines(), DemandLine.sku.in_(wake))
        )
        found.append(
            select(LineShortage.order_id, LineShortage.line_no)
            .join(DemandLine, and_(DemandLine.order_id == LineShortage.order_id, DemandLine.line_no == LineShortage.line_no))
            .where(LineShortage.material_sku.in_(wake), waiting_lines())
        )
    if by_plan:
        found.append(
            select(Promise.order_id, Promise.line_no)
            .where(Promise.plan_id == bindparam("plan_id"), Promise.quantity - Promise.allocated - Promise.released > 0)
        )
    candidates = union(*found).subquery() if len(found) > 1 else found[0].subquery()
    # The lines and the recipes of their products in one statement (a product without a recipe: None).
    return (
        select(DemandLine.order_id, DemandLine.line_no, DemandLine.sku, RecipeReplica)
        .join(candidates, and_(candidates.c.order_id == DemandLine.order_id, candidates.c.line_no == DemandLine.line_no))
        .join(OrderDemand, OrderDemand.order_id == DemandLine.order_id)
        .outerjoin(RecipeReplica, RecipeReplica.sku == DemandLine.sku)
        .where(DemandLine.status == "open", OrderDemand.cancelled_at.is_(None))
        .order_by(OrderDemand.priority.desc(), OrderDemand.placed_at, DemandLine.order_id, DemandLine.line_no)
    )


async def prepare(
    session: AsyncSession, wake: Collection[str], plan_id: str | None = None, more_skus: Iterable[str] = ()
) -> tuple[Resumable, dict[str, Item]]:
    """Find what to retry and lock every item involved (SKU order, before any other row).
    The search is repeated under the locks, so a line that began waiting concurrently (its
    transaction held one of these items) is seen now: no wake-up is lost."""
    first = await find_resumable(session, wake, plan_id)
    locked = set(first.skus) | set(more_skus) | set(wake)
    items = await lock_items(session, locked)
    found = await find_resumable(session, wake, plan_id)
    extra = found.skus - locked
    if extra:  # rare: a line of another product began waiting meanwhile
        items.update(await lock_items(session, extra))
    return found, items


async def resume(ctx: Context, found: Resumable, items: dict[str, Item], today: date) -> list[str]:
    """Retry the lines in their fair order; returns the orders that got finished stock (the
    caller emits one OrderAllocated each). A line still short stays waiting, quietly unless
    its shortage changed."""
    session = ctx.session
    if not found.lines:
        return []
    recipes = found.recipes
    if recipes is None:
        recipes = {
            r.sku: r
            for r in (await session.execute(select(RecipeReplica).where(RecipeReplica.sku.in_(found.skus)))).scalars()
        }
    # Every line locked and its uncovered quantity read in one statement (not three per line):
    # covering one line changes only that line's allocations and promises, so what the others
    # need does not move while they wait their turn.
    lines = await _lock_lines(session, found.lines)
    # Their shortage rows in one statement too: only a line's own retry changes them.
    shortages = await shortages_of(session, [d for d, _ in lines.values() if d.status == "open"])
    allocated: list[str] = []
    for order_id, line_no in found.lines:
        if (order_id, line_no) not in lines:
            continue
        demand, need = lines[(order_id, line_no)]
        if demand.status != "open":
            continue
        before = waiting_from(demand, shortages.get((order_id, line_no), []))
        if demand.waiting > 0:  # a line not waiting has no shortage rows to clear
            await stop_waiting(session, demand, has_shortages=(order_id, line_no) in shortages)
        if need <= 0:
            continue
        if await cover_line(ctx, demand, items, recipes.get(demand.sku), today, need=need, before=before):
            if order_id not in allocated:
                allocated.append(order_id)
    return allocated


async def _lock_lines(session: AsyncSession, keys: list[tuple[str, int]]) -> dict[tuple[str, int], tuple[DemandLine, Decimal]]:
    """The lines locked (their items are locked already: nobody else waits for these rows
    holding another), each with what of it is neither allocated nor promised."""
    kept = (
        select(func.coalesce(func.sum(Allocation.quantity - Allocation.released), ZERO))
        .where(Allocation.order_id == DemandLine.order_id, Allocation.line_no == DemandLine.line_no)
        .scalar_subquery()
    )
    promised = (
        select(func.coalesce(func.sum(Promise.quantity - Promise.allocated - Promise.released), ZERO))
        .where(Promise.order_id == DemandLine.order_id, Promise.line_no == DemandLine.line_no)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(DemandLine, kept, promised)
        .where(tuple_(DemandLine.order_id, DemandLine.line_no).in_(keys))
        .order_by(DemandLine.order_id, DemandLine.line_no)
        .with_for_update(of=DemandLine),
        execution_options={"populate_existing": True},
    )
    return {(d.order_id, d.line_no): (d, max(d.quantity - k - p, ZERO)) for d, k, p in rows}


async def resume_for(ctx: Context, sku: str, today: date) -> None:
    """New supply of `sku` (a goods receipt, a recipe): retry the lines waiting for it, as a material
    or as the product, and tell the orders that got finished stock."""
    found, items = await prepare(ctx.session, {sku})
    await emit_allocated(ctx, await resume(ctx, found, items, today))
    # Its own position moved (a receipt, a purchase order); batches for stock waiting for it
    # as a material are retried (after the orders: customers first).
    await replenish(ctx, set(items) | {sku} | await waiting_on(ctx, {sku}), today)
