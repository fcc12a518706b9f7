"""Make to order: size a new production plan by the recipe and reserve its materials FEFO,
or record why it cannot be made yet (the shortages say what to buy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import MaterialsReserved
from contracts.events.base import LotQuantity
from contracts.events.inventory import MaterialShortage
from contracts.units import IncompatibleUnits, Unit, is_count
from eventkit import Context
from inventory.adapters.stock import LotChanges, lock_usable_lots_of, new_id, supply
from inventory.domain import fefo
from inventory.domain.planning import Ingredient, MaterialNeed, Recipe, Shortage, batch_for, material_needs, shortages
from inventory.domain.promising import expected_ready, material_checks
from inventory.adapters.expected_supply import expected_receipts
from inventory.tables import DemandLine, Item, Lot, Plan, Promise, RecipeReplica
from inventory.waiting import Waiting, wait_for


def recipe_of(row: RecipeReplica) -> Recipe:
    return Recipe(
        sku=row.sku,
        version=row.recipe_version,
        output_unit=Unit(row.output_unit),
        ingredients=tuple(Ingredient(i["sku"], Decimal(str(i["quantity"])), Unit(i["unit"])) for i in row.ingredients),
        batch_min=row.batch_min,
        batch_multiple=row.batch_multiple,
        expected_yield=row.expected_yield,
        lead_time_days=row.lead_time_days,
    )


async def plan_new_batch(
    ctx: Context, demand: DemandLine, need: Decimal, recipe: Recipe, items: dict[str, Item], today: date,
    before: Waiting | None = None,
) -> None:
    session = ctx.session
    base_units = {sku: Unit(item.base_unit) for sku, item in items.items()}
    try:
        batch = batch_for(need, demand.unit, recipe)
        needs = material_needs(batch, demand.unit, recipe, base_units)
    except IncompatibleUnits as exc:
        await wait_for(ctx, demand, need, reason=f"recipe of {demand.sku} does not fit its units: {exc}", before=before,
                       code="broken_recipe")
        return

    materials = await check_materials(session, needs, today)
    if materials.short:
        # Dated: bought now, the missing materials arrive after their supplier lead times
        # and the batch takes the recipe's lead time (capacity is production's: not counted).
        checks = material_checks(needs, materials.available, {n.sku: _lead(items.get(n.sku)) for n in needs},
                                 await expected_receipts(session, [s.sku for s in materials.short]))
        await wait_for(
            ctx, demand, need,
            shortages=shortages_out(materials.short),
            before=before, code="shortage", expected_date=expected_ready(today, checks, recipe.lead_time_days),
        )
        return

    plan = Plan(
        plan_id=new_id(), sku=demand.sku, batch_quantity=batch, promised=need, unit=demand.unit,
        recipe_version=recipe.version, lead_time_days=recipe.lead_time_days,
    )
    session.add(plan)
    await session.flush()
    reserved = await reserve_materials(session, materials, plan.plan_id, today)
    session.add(Promise(plan_id=plan.plan_id, order_id=demand.order_id, line_no=demand.line_no, quantity=need))
    await ctx.emit(
        MaterialsReserved(
            order_id=demand.order_id, line_no=demand.line_no, plan_id=plan.plan_id, sku=demand.sku,
            quantity_promised=need, batch_quantity=batch, unit=Unit(demand.unit),
            recipe_version=recipe.version, lead_time_days=recipe.lead_time_days, reservations=reserved,
        ),
        correlation_id=demand.order_id,
    )


@dataclass(frozen=True)
class MaterialCheck:
    """The usable lots of a batch's materials (locked), what each can give, what is short."""

    needs: list[MaterialNeed]
    lots: dict[str, list[Lot]]
    whole: dict[str, bool]
    available: dict[str, Decimal]
    short: list[Shortage]


async def check_materials(session: AsyncSession, needs: list[MaterialNeed], today: date) -> MaterialCheck:
    """Lock the usable lots of every material (needs are sorted by material SKU, so lots are
    locked in the same order everywhere) and judge whether they cover the batch."""
    usable = await lock_usable_lots_of(session, [n.sku for n in needs], today)
    lots = {n.sku: usable[n.sku] for n in needs}
    whole = {n.sku: is_count(n.unit) for n in needs}
    available = {sku: fefo.available([supply(lot) for lot in found], today, whole[sku]) for sku, found in lots.items()}
    return MaterialCheck(needs, lots, whole, available, shortages(needs, available))


async def reserve_materials(session: AsyncSession, check: MaterialCheck, plan_id: str, today: date) -> list[LotQuantity]:
    """Reserve every need FEFO for the plan (the check found them sufficient)."""
    reserved: list[LotQuantity] = []
    changes = LotChanges()
    for n in check.needs:
        by_id = {lot.lot_id: lot for lot in check.lots[n.sku]}
        pick = fefo.choose_lots([supply(lot) for lot in check.lots[n.sku]], n.quantity, today, whole=check.whole[n.sku])
        for take in pick.takes:
            lot = by_id[take.lot.lot_id]
            changes.reserve(lot, plan_id, take.quantity)
            reserved.append(
                LotQuantity(sku=lot.sku, lot_id=lot.lot_id, lot_no=lot.lot_no, quantity=take.quantity,
                            unit=n.unit, expiry_date=lot.expiry_date)
            )
    await changes.write(session)
    return reserved


def shortages_out(short: list[Shortage]) -> list[MaterialShortage]:
    return [
        MaterialShortage(material_sku=s.sku, required=s.required, available=s.available, missing=s.missing, unit=s.unit)
        for s in short
    ]


def _lead(item: Item | None) -> int | None:
    return item.supplier_lead_time_days if item is not None else None
