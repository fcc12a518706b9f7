"""Make to stock: after anything that moves an item's position (an order drew on it, a batch
reserved or consumed it, a plan was cancelled, a lot was held, a receipt or purchase order,
a rule set), its reorder rule is checked in the same transaction. Below the point:

- a made item (finished, intermediate) gets a batch for stock, sized to the target by the
  recipe's batch rules, its materials checked and reserved FEFO like an order's batch
  (ReplenishmentPlanned -> production queues it with purpose "stock"); with materials
  short it waits (status `waiting`, shortages kept) and is retried at the next check;
- a bought item gets a purchase suggestion (ReorderPointReached, action `purchase`:
  purchasing lists it with the reason "reorder point").

Exactly one replenishment per crossing: the caller holds the item's row lock (every stock
change locks items first, in SKU order), so concurrent orders for the item queue here and
each sees what the one before planned; a planned batch is open supply at once, and a
waiting batch or a raised suggestion stays open (one per item: a partial unique index)
until the position is back at or above the point. A redelivered event is dropped by the
inbox, or finds the position unchanged."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import select, text

from contracts.events import ReorderPointReached, ReplenishmentPlanned
from contracts.units import IncompatibleUnits, Unit
from eventkit import Context
from inventory.adapters.positions import position, recent_demand
from inventory.adapters.stock import lock_items, new_id
from inventory.domain.planning import batch_for, material_needs
from inventory.domain.reordering import Position, RuleTerms, below_point, quantity_to_order, target_level
from inventory.making import check_materials, recipe_of, reserve_materials, shortages_out
from inventory.tables import Item, Plan, RecipeReplica, ReorderRule, Replenishment, utcnow

log = logging.getLogger("inventory.replenishment")
OPEN = ("waiting", "suggested")


def terms_of(rule: ReorderRule) -> RuleTerms:
    return RuleTerms(rule.reorder_point, rule.target, rule.days_of_cover, rule.lookback_days)


async def target_of(ctx_session, rule: ReorderRule, item: Item) -> Decimal:
    terms = terms_of(rule)
    demand = Decimal(0)
    if terms.target is None:
        demand = await recent_demand(ctx_session, item.sku, item.kind, item.base_unit, terms.lookback_days)
    return target_level(terms, demand, item.base_unit)


async def replenish(ctx: Context, skus: Iterable[str], today: date) -> None:
    """Check the reorder rules of these items (those without a rule: nothing)."""
    session = ctx.session
    wanted = sorted(set(skus))
    if not wanted:
        return
    ruled = (await session.execute(select(ReorderRule.sku).where(ReorderRule.sku.in_(wanted)))).scalars().all()
    if not ruled:
        return
    # Items before rules, in SKU order, like every stock change (a no-op for rows the caller holds).
    items = await lock_items(session, ruled)
    rules = (
        await session.execute(
            select(ReorderRule).where(ReorderRule.sku.in_(sorted(items))).order_by(ReorderRule.sku).with_for_update(),
            execution_options={"populate_existing": True},
        )
    ).scalars().all()
    for rule in rules:
        await _check(ctx, rule, items[rule.sku], today)


async def waiting_on(ctx: Context, materials: Iterable[str]) -> set[str]:
    """Made items whose batch for stock waits for one of these materials."""
    rows = await ctx.session.execute(
        text("SELECT sku FROM replenishments WHERE status = 'waiting' AND EXISTS ("
             "SELECT 1 FROM jsonb_array_elements(shortages) s WHERE s->>'material_sku' = ANY(:m))"),
        {"m": sorted(set(materials))},
    )
    return set(rows.scalars())


async def open_replenishment(session, sku: str) -> Replenishment | None:
    return (
        await session.execute(
            select(Replenishment).where(Replenishment.sku == sku, Replenishment.status.in_(OPEN)).with_for_update(),
            execution_options={"populate_existing": True},
        )
    ).scalar_one_or_none()


async def _check(ctx: Context, rule: ReorderRule, item: Item, today: date) -> None:
    session = ctx.session
    pos = await position(session, item.sku, item.kind, today)
    current = await open_replenishment(session, item.sku)
    if not below_point(pos, rule.reorder_point):
        if current is not None:
            # Back at or above the point (goods bought or received, made, released): the
            # crossing is over; the next one raises a new replenishment.
            current.status, current.updated_at = "closed", utcnow()
        return
    target = await target_of(session, rule, item)
    quantity = quantity_to_order(pos, target, item.base_unit)
    if quantity <= 0:
        return
    if current is not None:
        if current.status == "waiting":
            await _make_for_stock(ctx, current, item, pos, quantity, today)
        return  # a suggestion is out already: purchasing has it
    replenishment = Replenishment(
        replenishment_id=new_id(), sku=item.sku, action="purchase" if item.kind == "raw" else "batch",
        status="suggested" if item.kind == "raw" else "waiting", unit=item.base_unit,
        on_hand_free=pos.on_hand_free, open_supply=pos.open_supply, reorder_point=rule.reorder_point,
        target=target, quantity=quantity,
    )
    session.add(replenishment)
    await session.flush()
    if item.kind != "raw":
        await _make_for_stock(ctx, replenishment, item, pos, quantity, today, announced=False)
    await ctx.emit(
        ReorderPointReached(
            replenishment_id=replenishment.replenishment_id, sku=item.sku, item_kind=item.kind, unit=Unit(item.base_unit),
            on_hand_free=pos.on_hand_free, open_supply=pos.open_supply, reorder_point=rule.reorder_point, target=target,
            quantity=replenishment.quantity, rule="min_max" if rule.target is not None else "days_of_cover",
            action=replenishment.action, status=replenishment.status, plan_id=replenishment.plan_id,
            shortages=replenishment.shortages, reached_at=replenishment.reached_at,
        ),
        correlation_id=replenishment.replenishment_id,
    )


async def _make_for_stock(
    ctx: Context, replenishment: Replenishment, item: Item, pos: Position, quantity: Decimal, today: date,
    announced: bool = True,
) -> None:
    """Plan a batch for stock of `quantity` (sized up by the recipe's rules) with its
    materials reserved, or leave the replenishment waiting with what is short."""
    session = ctx.session
    row = await session.get(RecipeReplica, item.sku)
    if row is None:
        _wait(replenishment, [], f"no recipe for {item.sku}: it cannot be made")
        return
    recipe = recipe_of(row)
    materials = {i.sku for i in recipe.ingredients}
    items = await lock_items(session, materials | {item.sku})
    try:
        batch = batch_for(quantity, item.base_unit, recipe)
        needs = material_needs(batch, item.base_unit, recipe, {sku: Unit(i.base_unit) for sku, i in items.items()})
    except IncompatibleUnits as exc:
        _wait(replenishment, [], f"recipe of {item.sku} does not fit its units: {exc}")
        return
    check = await check_materials(session, needs, today)
    if check.short:
        _wait(replenishment, [s.model_dump(mode="json") for s in shortages_out(check.short)], "materials short")
        return
    plan = Plan(
        plan_id=new_id(), sku=item.sku, batch_quantity=batch, promised=Decimal(0), unit=item.base_unit,
        recipe_version=recipe.version, lead_time_days=recipe.lead_time_days, purpose="stock",
    )
    session.add(plan)
    await session.flush()
    reserved = await reserve_materials(session, check, plan.plan_id, today)
    replenishment.status, replenishment.plan_id, replenishment.shortages = "planned", plan.plan_id, []
    replenishment.quantity, replenishment.updated_at = quantity, utcnow()
    if announced:  # a waiting replenishment planned later: the figures of now
        replenishment.on_hand_free, replenishment.open_supply = pos.on_hand_free, pos.open_supply
    await session.flush()
    log.info("batch for stock of %s: %s %s (plan %s)", item.sku, batch, item.base_unit, plan.plan_id)
    await ctx.emit(
        ReplenishmentPlanned(
            replenishment_id=replenishment.replenishment_id, plan_id=plan.plan_id, sku=item.sku, batch_quantity=batch,
            unit=Unit(item.base_unit), recipe_version=recipe.version, lead_time_days=recipe.lead_time_days,
            reservations=reserved, planned_at=utcnow(),
        ),
        correlation_id=replenishment.replenishment_id,
    )


def _wait(replenishment: Replenishment, shortages: list[dict], why: str) -> None:
    if replenishment.shortages != shortages or replenishment.status != "waiting":
        log.info("batch for stock of %s waits: %s", replenishment.sku, why)
    replenishment.status, replenishment.shortages, replenishment.updated_at = "waiting", shortages, utcnow()
