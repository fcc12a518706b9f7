"""RecipePublished: the recipe replica follows production's newest recipe_version, and the
lines waiting for the product's recipe are planned now."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert

from contracts.events import RecipePublished
from eventkit import Context
from inventory.clock import today
from inventory.resumption import resume_for
from inventory.tables import RecipeReplica, utcnow


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
