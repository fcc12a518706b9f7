"""Event handlers: each runs in the transaction that also claims the inbox row and writes
the outbox, so an event's effects and the events it raises commit together or not at all."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy.dialects.postgresql import insert

from contracts.events import (
    BatchCancelled, BatchCompleted, BatchScheduled, OrderCancelled, OrderPlaced, RecipePublished, Shipped,
)
from eventkit import Context
from inventory.cancellation import cancel_order
from inventory.completion import complete_batch
from inventory.placement import place_order
from inventory.plan_changes import cancel_plan, reschedule
from inventory.resumption import resume_for
from inventory.shipment import ship
from inventory.tables import RecipeReplica, utcnow


def today() -> date:
    """Expiry is judged on the UTC calendar day."""
    return datetime.now(timezone.utc).date()


async def on_order_placed(ctx: Context, event: OrderPlaced) -> None:
    await place_order(ctx, event, today())


async def on_batch_completed(ctx: Context, event: BatchCompleted) -> None:
    await complete_batch(ctx, event, today())


async def on_shipped(ctx: Context, event: Shipped) -> None:
    await ship(ctx, event)


async def on_order_cancelled(ctx: Context, event: OrderCancelled) -> None:
    await cancel_order(ctx, event, today())


async def on_batch_cancelled(ctx: Context, event: BatchCancelled) -> None:
    await cancel_plan(ctx, event, today())


async def on_batch_scheduled(ctx: Context, event: BatchScheduled) -> None:
    await reschedule(ctx, event, today())


async def on_recipe_published(ctx: Context, event: RecipePublished) -> None:
    """Keep the replica at the newest recipe_version: an older or replayed version changes nothing."""
    values = dict(
        sku=event.sku, name=event.name, recipe_version=event.recipe_version, output_unit=event.output_unit,
        ingredients=[i.model_dump(mode="json") for i in event.ingredients], batch_min=event.batch_min,
        batch_multiple=event.batch_multiple, expected_yield=event.expected_yield,
        lead_time_days=event.lead_time_days, shelf_life_days=event.shelf_life_days, updated_at=utcnow(),
    )
    stmt = insert(RecipeReplica).values(**values)
    await ctx.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[RecipeReplica.sku],
            set_={k: stmt.excluded[k] for k in values if k != "sku"},
            where=RecipeReplica.recipe_version < stmt.excluded.recipe_version,
        )
    )
    # No item is created here: items are defined through POST /items (and announced as
    # ItemDefined, which production checks recipes against), so a recipe never invents one.
    # Lines that waited for this product's recipe can be planned now.
    await resume_for(ctx, event.sku, today())
