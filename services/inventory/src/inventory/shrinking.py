"""Shrinking a planned plan to production's latest planned quantity: the batch never gets
smaller than its promises need (batch rules on what is promised), and the material the
smaller batch no longer needs is released from the latest-expiring reserved lots. Used when
production announces a shrink (BatchScheduled) and when a cancellation lets one apply
that the order's promises had held back (OrderCancelled). The caller holds the locks:
the plan's items, the plan row and the reserved lots."""

from __future__ import annotations

import logging
from decimal import Decimal

from contracts.units import IncompatibleUnits, Unit, is_count
from inventory.adapters.stock import release_reservation
from inventory.domain.fefo import LotSupply, choose_to_release
from inventory.domain.planning import batch_for, excess_material, material_needs, proportional_excess, shrunk_batch
from inventory.making import recipe_of
from inventory.tables import Item, Lot, Plan, RecipeReplica, Reservation

log = logging.getLogger("inventory.plan_changes")
ZERO = Decimal(0)


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
