"""Production planning: promising against planned batches, sizing a new batch by the
recipe's batch rules (`contracts.recipes.batch_quantity`, the rule production shrinks batches
by), the material it needs, and what a shrunk batch no longer needs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from contracts.recipes import batch_quantity
from contracts.units import Unit, convert
from inventory.domain.pieces import give_down, need_up
from inventory.domain.quantities import STEP

ZERO = Decimal(0)


def round_up(quantity: Decimal) -> Decimal:
    """Material needs are rounded up to what we can store: never plan a hair too little."""
    return quantity.quantize(STEP, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class Ingredient:
    sku: str
    quantity: Decimal  # per one unit of output, in `unit`
    unit: Unit


@dataclass(frozen=True)
class Recipe:
    sku: str
    version: int
    output_unit: Unit
    ingredients: tuple[Ingredient, ...]
    batch_min: Decimal
    batch_multiple: Decimal
    expected_yield: Decimal
    lead_time_days: int


@dataclass(frozen=True)
class OpenPlan:
    plan_id: str
    surplus: Decimal  # batch quantity not yet promised


def promise_from_plans(need: Decimal, plans: list[OpenPlan]) -> tuple[list[tuple[str, Decimal]], Decimal]:
    """Promise `need` against the unpromised surplus of open plans, oldest plan first (the
    caller passes them in that order). Returns (plan_id, quantity) pairs and what is left."""
    promises: list[tuple[str, Decimal]] = []
    left = need
    for plan in plans:
        if left <= 0:
            break
        if plan.surplus <= 0:
            continue
        q = min(plan.surplus, left)
        promises.append((plan.plan_id, q))
        left -= q
    return promises, left


def batch_for(need: Decimal, unit: Unit | str, recipe: Recipe) -> Decimal:
    """The batch (in `unit`, the item's base unit) that covers `need`; the batch rules are
    in the recipe's output unit, so sizing happens there."""
    need_out = convert(need, unit, recipe.output_unit)
    batch_out = batch_quantity(need_out, recipe.batch_min, recipe.batch_multiple)
    return need_up(round_up(convert(batch_out, recipe.output_unit, unit)), unit)


@dataclass(frozen=True)
class MaterialNeed:
    sku: str
    quantity: Decimal  # in `unit`, the material's base unit
    unit: Unit


def material_needs(
    batch: Decimal, unit: Unit | str, recipe: Recipe, base_units: dict[str, Unit]
) -> list[MaterialNeed]:
    """Material for a batch: batch x per-unit quantity / expected_yield, in each material's
    base unit (`base_units`; a material we do not stock yet keeps the recipe's unit). The
    same material listed twice is summed; a material counted in pieces needs whole pieces
    (51.02 labels -> 52). Raises IncompatibleUnits on a unit mismatch."""
    batch_out = convert(batch, unit, recipe.output_unit)
    totals: dict[str, Decimal] = {}
    units: dict[str, Unit] = {}
    for ing in recipe.ingredients:
        target = Unit(base_units.get(ing.sku, units.get(ing.sku, ing.unit)))
        units[ing.sku] = target
        raw = batch_out * ing.quantity / recipe.expected_yield
        totals[ing.sku] = totals.get(ing.sku, ZERO) + convert(raw, ing.unit, target)
    return [MaterialNeed(sku, need_up(round_up(q), units[sku]), units[sku]) for sku, q in sorted(totals.items())]


@dataclass(frozen=True)
class Shortage:
    sku: str
    required: Decimal
    available: Decimal
    unit: Unit

    @property
    def missing(self) -> Decimal:
        return self.required - self.available


def shortages(needs: list[MaterialNeed], available: dict[str, Decimal]) -> list[Shortage]:
    """The materials whose usable stock does not cover the need (empty: all suffice)."""
    found = []
    for need in needs:
        have = available.get(need.sku, ZERO)
        if have < need.quantity:
            found.append(Shortage(need.sku, need.quantity, max(have, ZERO), need.unit))
    return found


def shrunk_batch(scheduled: Decimal, promised_batch: Decimal, current: Decimal) -> Decimal | None:
    """The plan's new batch quantity after production planned `scheduled`: never below what
    its promises need (`promised_batch`, sized by the batch rule); None when it does not shrink."""
    target = max(scheduled, promised_batch)
    return target if target < current else None


def excess_material(old: list[MaterialNeed], new: list[MaterialNeed]) -> dict[str, Decimal]:
    """What a batch shrunk from `old` to `new` needs less of, per material: need(old) - need(new)."""
    after = {n.sku: n.quantity for n in new}
    return {n.sku: n.quantity - after.get(n.sku, ZERO) for n in old if n.quantity - after.get(n.sku, ZERO) > 0}


def proportional_excess(
    reserved: dict[str, Decimal], old: Decimal, new: Decimal, units: dict[str, Unit] | None = None
) -> dict[str, Decimal]:
    """Without the plan's recipe version to recompute needs: release the reserved material in
    proportion to the shrink, rounded down (keep a hair more rather than too little; whole
    pieces for materials counted in pieces, per `units`)."""
    if old <= 0:
        return {}
    share = (old - new) / old
    units = units or {}
    out = {
        sku: give_down((q * share).quantize(STEP, rounding=ROUND_FLOOR), units.get(sku, Unit.kg))
        for sku, q in reserved.items()
    }
    return {sku: q for sku, q in out.items() if q > 0}
