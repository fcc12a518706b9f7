"""Operator commands: publish a recipe, start, complete or cancel a batch. Each runs in its own
unit of work; state is guarded under a row lock so a double click cannot act twice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from contracts.events import BatchCompleted, BatchStarted, RecipePublished
from contracts.events.base import LotQuantity
from contracts.events.production import Ingredient
from eventkit import UnitOfWork
from production import announce, clock
from production.adapters import batches, cancellations, catalog, recipes
from production.domain.cancellation import cancel_refusal
from production.domain.completion import (
    InvalidCompletion,
    default_expiry,
    default_waste,
    reserved_by_lot,
    resolve_consumption,
)
from production.domain.catalog_rules import catalog_problems, fractional_pieces
from production.domain.lifecycle import complete_refusal, saga_of, start_refusal
from production.domain.recipes import RecipeSpec, recipe_problems


class NotFound(Exception):
    pass


class Conflict(Exception):
    """The command does not fit the current state (HTTP 409)."""


class Invalid(Exception):
    """The command's content is wrong (HTTP 422); `reasons` says what."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def recipe_event(row: Mapping[str, Any]) -> RecipePublished:
    return RecipePublished(
        sku=row["sku"],
        name=row["name"],
        recipe_version=row["recipe_version"],
        output_unit=row["output_unit"],
        ingredients=[Ingredient.model_validate(i) for i in row["ingredients"]],
        batch_min=row["batch_min"],
        batch_multiple=row["batch_multiple"],
        expected_yield=row["expected_yield"],
        lead_time_days=row["lead_time_days"],
        shelf_life_days=row["shelf_life_days"],
    )


async def publish_recipe(uow: UnitOfWork, recipe: RecipeSpec) -> Mapping[str, Any]:
    async with uow.start(correlation_id=recipe.sku, name="publish recipe") as ctx:
        # One publication at a time: two recipes published at once cannot close a cycle
        # that neither sees alone.
        await recipes.lock_publishing(ctx.session)
        await recipes.lock_sku(ctx.session, recipe.sku)
        known = await catalog.items(ctx.session, [recipe.sku, *(i.sku for i in recipe.ingredients)])
        # Every reason at once (form and catalog), so the operator fixes the recipe in one go.
        problems = recipe_problems(recipe) + catalog_problems(recipe, known, await catalog.recipe_graph(ctx.session))
        if problems:
            raise Invalid(problems)
        row = await recipes.insert(ctx.session, recipe, await recipes.next_version(ctx.session, recipe.sku))
        await ctx.emit(recipe_event(row))
    return row


async def start_batch(uow: UnitOfWork, batch_id: str) -> batches.Batch:
    async with uow.start(name="start batch") as ctx:
        batch = await _locked(ctx.session, batch_id)
        refusal = start_refusal(batch.status)
        if refusal:
            raise Conflict(refusal)
        started_at = clock.now()
        await batches.mark_started(ctx.session, batch_id, started_at)
        covered = (await batches.covers(ctx.session, [batch_id]))[batch_id]
        await ctx.emit(
            BatchStarted(batch_id=batch_id, batch_no=batch.batch_no, sku=batch.sku, covers=covered, started_at=started_at,
                         purpose=batch.purpose),
            correlation_id=saga_of(batch_id, [c.order_id for c in covered]),
        )
        return await batches.get(ctx.session, batch_id)


@dataclass(frozen=True)
class Completion:
    output_quantity: Decimal
    waste_quantity: Decimal | None = None
    # (lot_id, quantity) actually used; None: the reservations were used as reserved.
    consumption: list[tuple[str, Decimal]] | None = None
    expiry_date: date | None = None


async def complete_batch(uow: UnitOfWork, batch_id: str, done: Completion) -> batches.Batch:
    async with uow.start(name="complete batch") as ctx:
        s = ctx.session
        batch = await _locked(s, batch_id)
        refusal = complete_refusal(batch.status)
        if refusal:
            raise Conflict(refusal)
        try:
            used = resolve_consumption(reserved_by_lot(await batches.reservations(s, batch_id)), done.consumption)
        except InvalidCompletion as exc:
            raise Invalid(exc.reasons) from exc
        halves = [f"output {done.output_quantity} {batch.unit}"] if fractional_pieces(done.output_quantity, batch.unit) else []
        halves += [f"lot {u.lot_no}: {u.quantity} {u.unit}" for u in used if fractional_pieces(u.quantity, u.unit)]
        if halves:
            raise Invalid([f"{h} is not a whole number of pieces" for h in halves])
        waste = done.waste_quantity if done.waste_quantity is not None else default_waste(batch.planned_quantity, done.output_quantity)
        expiry = done.expiry_date or default_expiry(
            clock.today(), await recipes.shelf_life_days(s, batch.sku, batch.recipe_version)
        )
        completed_at = clock.now()
        await batches.mark_completed(s, batch_id, completed_at, done.output_quantity, waste, expiry, used)
        covered = (await batches.covers(s, [batch_id]))[batch_id]
        await ctx.emit(
            BatchCompleted(
                batch_id=batch_id,
                batch_no=batch.batch_no,
                sku=batch.sku,
                planned_quantity=batch.planned_quantity,
                output_quantity=done.output_quantity,
                waste_quantity=waste,
                unit=batch.unit,
                consumption=[
                    LotQuantity(sku=u.sku, lot_id=u.lot_id, lot_no=u.lot_no, quantity=u.quantity, unit=u.unit, expiry_date=u.expiry_date)
                    for u in used
                ],
                covers=covered,
                expiry_date=expiry,
                completed_at=completed_at,
                purpose=batch.purpose,
            ),
            correlation_id=saga_of(batch_id, [c.order_id for c in covered]),
        )
        return await batches.get(s, batch_id)


async def cancel_batch(uow: UnitOfWork, batch_id: str, reason: str) -> batches.Batch:
    """planned -> cancelled, BatchCancelled with every line it covered: inventory releases
    the plan's materials and re-plans those lines; orders shows it on their timelines."""
    async with uow.start(name="cancel batch") as ctx:
        batch = await _locked(ctx.session, batch_id)
        refusal = cancel_refusal(batch.status)
        if refusal:
            raise Conflict(refusal)
        at = clock.now()
        await cancellations.mark_cancelled(ctx.session, batch_id, at, reason)
        covered = (await batches.covers(ctx.session, [batch_id]))[batch_id]
        await announce.cancelled(
            ctx, batch, covered, reason, at, correlation_id=saga_of(batch_id, [c.order_id for c in covered])
        )
        return await batches.get(ctx.session, batch_id)


async def _locked(session, batch_id: str) -> batches.Batch:
    batch = await batches.get(session, batch_id, lock=True)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    return batch
