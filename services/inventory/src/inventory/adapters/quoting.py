"""The quote's reads: free stock, planned surplus and a new batch's materials of one SKU,
from the database, judged by `domain.promising`. Read-only and lock-free: a quote is an
offer, not a reservation (placement decides under locks)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.units import IncompatibleUnits, Unit, is_count
from inventory.adapters.expected_supply import expected_receipts
from inventory.commands import Refused
from inventory.domain.pieces import fractional_pieces
from inventory.domain.planning import batch_for, material_needs
from inventory.domain.promising import Answer, PlannedSurplus, material_checks, quote
from inventory.domain.quantities import to_base
from inventory.index_predicates import free_lots, open_plans
from inventory.making import recipe_of
from inventory.tables import Item, Lot, Plan, RecipeReplica

# Units counted in whole pieces: a lot holding 1.5 pcs can give 1 (as FEFO does).
_COUNT_UNITS = [u.value for u in Unit if is_count(u)]


def _free_of_item(today: date):
    """Free stock of the item in the same row (a correlated subquery, so an item and its stock
    come back in one round trip). Its conditions imply the partial index lots_free (migration
    0006): only lots with something free are read."""
    free = Lot.on_hand - Lot.reserved - Lot.allocated
    return (
        select(func.coalesce(func.sum(case((Item.base_unit.in_(_COUNT_UNITS), func.floor(free)), else_=free)), 0))
        .where(Lot.sku == Item.sku, free_lots(),
               or_(Lot.expiry_date.is_(None), Lot.expiry_date > today))
        .correlate(Item).scalar_subquery()
    )


async def items_with_stock(session: AsyncSession, skus: list[str], today: date) -> dict[str, tuple[Item, Decimal]]:
    rows = await session.execute(select(Item, _free_of_item(today)).where(Item.sku.in_(skus)))
    return {item.sku: (item, Decimal(free)) for item, free in rows}


def check_request(item: Item | None, sku: str, quantity: Decimal, unit: str) -> Decimal:
    """The quantity in the item's base unit, or Refused(422) with the reason - the same
    rules orders applies at the door (its catalog replica is built from these items)."""
    if item is None:
        raise Refused(422, f"unknown SKU {sku}")
    if item.kind != "finished":
        raise Refused(422, f"{sku} is a {item.kind} item, not sold to customers")
    if not item.active:
        raise Refused(422, f"{sku} is inactive")
    if fractional_pieces(quantity, unit):
        raise Refused(422, f"{quantity} {unit}: {sku} is counted in whole pieces")
    try:
        base = to_base(quantity, unit, item.base_unit, round_up=True)
    except IncompatibleUnits:
        raise Refused(422, f"unit {unit} does not fit {sku}, kept in {item.base_unit}") from None
    if fractional_pieces(base, item.base_unit):
        raise Refused(422, f"{quantity} {unit} is not a whole number of pieces of {sku}")
    return base


async def quote_sku(session: AsyncSession, sku: str, quantity: Decimal, unit: str, today: date) -> tuple[Item, Decimal, Answer]:
    # Round trips are what a quote costs on a busy machine (each waits for a core), so the
    # item, its free stock and its recipe come in one statement, the open plans in another.
    found = (
        await session.execute(
            select(Item, _free_of_item(today), RecipeReplica)
            .outerjoin(RecipeReplica, RecipeReplica.sku == Item.sku).where(Item.sku == sku)
        )
    ).first()
    item, stock, row = found if found is not None else (None, 0, None)
    need = check_request(item, sku, quantity, unit)
    base = item.base_unit
    stock = Decimal(stock)
    plans = (
        await session.execute(
            select(Plan)
            .where(Plan.sku == sku, open_plans(), Plan.promised < Plan.batch_quantity)
            .order_by(Plan.created_at, Plan.plan_id)  # the order placement promises in
        )
    ).scalars().all()
    surplus = [
        # Not scheduled yet (BatchScheduled on its way): planning day + lead time, as orders estimates.
        PlannedSurplus(p.plan_id, p.batch_quantity - p.promised,
                       p.planned_end or p.created_at.date() + timedelta(days=p.lead_time_days))
        for p in plans
    ]
    answer = quote(today=today, need=need, unit=base, free_stock=stock, surplus=surplus, has_recipe=row is not None)
    if answer.needs_production and row is not None:
        answer = await _with_materials(session, row, answer, need, stock, surplus, base, today)
    return item, need, answer


async def _with_materials(session, row, first: Answer, need, stock, surplus, base: str, today: date) -> Answer:
    recipe = recipe_of(row)
    skus = sorted({i.sku for i in recipe.ingredients})
    stocked = await items_with_stock(session, skus, today)
    items = {s: i for s, (i, _) in stocked.items()}
    try:
        batch = batch_for(first.to_make, base, recipe)
        needs = material_needs(batch, base, recipe, {s: Unit(i.base_unit) for s, i in items.items()})
    except IncompatibleUnits as exc:
        return Answer("unavailable", None, f"the recipe of {row.sku} does not fit its units: {exc}")
    available = {s: free for s, (_, free) in stocked.items()}
    checks = material_checks(needs, available, {s: i.supplier_lead_time_days for s, i in items.items()},
                             await expected_receipts(session, [n.sku for n in needs]))
    return quote(today=today, need=need, unit=base, free_stock=stock, surplus=surplus, has_recipe=True,
                 lead_time_days=recipe.lead_time_days, materials=checks)
