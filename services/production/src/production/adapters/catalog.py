"""Production's catalog replica (from inventory's ItemDefined) and the recipe graph that the
catalog rules check a new recipe against."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import ItemDefined
from production.domain.catalog_rules import CatalogItem


async def upsert(session: AsyncSession, item: ItemDefined) -> None:
    """The newest revision wins; an older or repeated one changes nothing."""
    await session.execute(
        text(
            "INSERT INTO catalog_items (sku, name, kind, base_unit, active, revision) "
            "VALUES (:sku, :name, :kind, :unit, :active, :rev) "
            "ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, "
            "base_unit = EXCLUDED.base_unit, active = EXCLUDED.active, revision = EXCLUDED.revision, updated_at = now() "
            "WHERE catalog_items.revision < EXCLUDED.revision"
        ),
        {"sku": item.sku, "name": item.name, "kind": item.kind, "unit": item.base_unit.value, "active": item.active,
         "rev": item.revision},
    )


async def items(session: AsyncSession, skus: Iterable[str]) -> dict[str, CatalogItem]:
    rows = await session.execute(
        text("SELECT sku, kind, base_unit, active FROM catalog_items WHERE sku = ANY(:skus)"), {"skus": sorted(set(skus))}
    )
    return {r.sku: CatalogItem(r.sku, r.kind, r.base_unit, r.active) for r in rows}


async def item(session: AsyncSession, sku: str) -> dict | None:
    row = await session.execute(
        text("SELECT sku, name, kind, base_unit, active, revision FROM catalog_items WHERE sku = :sku"), {"sku": sku}
    )
    found = row.first()
    return dict(found._mapping) if found else None


async def recipe_graph(session: AsyncSession) -> dict[str, set[str]]:
    """Ingredient SKUs of the recipe in force, per product."""
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (sku) sku, ingredients FROM recipes ORDER BY sku, recipe_version DESC"
        )
    )
    return {r.sku: {i["sku"] for i in r.ingredients} for r in rows}
