"""Recipe storage: every published version is kept; the highest version per SKU is in force."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from production.domain.recipes import RecipeSpec

_COLUMNS = (
    "sku, recipe_version, name, output_unit, ingredients, batch_min, batch_multiple, "
    "expected_yield, lead_time_days, shelf_life_days, published_at"
)


async def lock_sku(session: AsyncSession, sku: str) -> None:
    """Serialize publications of one SKU (held to the end of the transaction), so two
    concurrent publishes get versions n+1 and n+2 instead of colliding."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('recipe:' || :sku))"), {"sku": sku})


async def lock_publishing(session: AsyncSession) -> None:
    """Serialize every recipe publication (rare, operator-paced): the cycle check reads the
    recipes in force and must not miss one being published at the same time."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('recipes:publish'))"))


async def next_version(session: AsyncSession, sku: str) -> int:
    row = await session.execute(
        text("SELECT coalesce(max(recipe_version), 0) + 1 FROM recipes WHERE sku = :sku"), {"sku": sku}
    )
    return int(row.scalar_one())


async def insert(session: AsyncSession, recipe: RecipeSpec, version: int) -> Mapping[str, Any]:
    ingredients = [{"sku": i.sku, "quantity": str(i.quantity), "unit": i.unit} for i in recipe.ingredients]
    result = await session.execute(
        text(
            "INSERT INTO recipes (sku, recipe_version, name, output_unit, ingredients, batch_min, batch_multiple, "
            "expected_yield, lead_time_days, shelf_life_days) VALUES (:sku, :v, :name, :unit, CAST(:ingredients AS jsonb), "
            f":bmin, :bmul, :yield, :lead, :shelf) RETURNING {_COLUMNS}"
        ),
        {
            "sku": recipe.sku,
            "v": version,
            "name": recipe.name.strip(),
            "unit": recipe.output_unit,
            "ingredients": json.dumps(ingredients),
            "bmin": recipe.batch_min,
            "bmul": recipe.batch_multiple,
            "yield": recipe.expected_yield,
            "lead": recipe.lead_time_days,
            "shelf": recipe.shelf_life_days,
        },
    )
    return result.mappings().one()


async def current_all(session: AsyncSession) -> list[Mapping[str, Any]]:
    result = await session.execute(
        text(f"SELECT DISTINCT ON (sku) {_COLUMNS} FROM recipes ORDER BY sku, recipe_version DESC")
    )
    return list(result.mappings())


async def current(session: AsyncSession, sku: str) -> Mapping[str, Any] | None:
    result = await session.execute(
        text(f"SELECT {_COLUMNS} FROM recipes WHERE sku = :sku ORDER BY recipe_version DESC LIMIT 1"), {"sku": sku}
    )
    return result.mappings().first()


async def shelf_life_days(session: AsyncSession, sku: str, version: int) -> int | None:
    """Shelf life of the recipe version the batch was planned with, else of the latest one
    (the batch may predate this service's knowledge of the recipe)."""
    result = await session.execute(
        text(
            "SELECT shelf_life_days FROM recipes WHERE sku = :sku "
            "ORDER BY (recipe_version = :v) DESC, recipe_version DESC LIMIT 1"
        ),
        {"sku": sku, "v": version},
    )
    return result.scalar_one_or_none()
