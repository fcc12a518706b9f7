"""A recipe checked against the catalog (production's replica of inventory's items) and
against the other recipes in force: the product exists and is made (finished or
intermediate), every ingredient exists, is active and is a raw material or an intermediate,
every unit fits its item's dimension, and no recipe ends up among its own ingredients.
Pure: the caller loads the catalog and the recipes graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from contracts.units import dimension, is_count
from production.domain.recipes import RecipeSpec

CATCHING_UP = "define it in inventory first (POST /items); an item created a moment ago may not have reached production yet"


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    kind: str  # raw | finished | intermediate
    base_unit: str
    active: bool = True


def catalog_problems(
    recipe: RecipeSpec, catalog: Mapping[str, CatalogItem], recipes: Mapping[str, set[str]]
) -> list[str]:
    """Every reason the catalog refuses the recipe (empty: it fits). `recipes`: the
    ingredient SKUs of every recipe in force, by product SKU."""
    problems: list[str] = []
    product = catalog.get(recipe.sku)
    if product is None:
        problems.append(f"unknown product {recipe.sku}: {CATCHING_UP}")
    else:
        if product.kind == "raw":
            problems.append(f"{recipe.sku} is a raw material (bought, not made): only finished goods and intermediates have recipes")
        if dimension(recipe.output_unit) != dimension(product.base_unit):
            problems.append(
                f"output unit {recipe.output_unit} does not fit {recipe.sku}, which is kept in {product.base_unit} "
                f"({dimension(product.base_unit)})"
            )
    for ingredient in recipe.ingredients:
        item = catalog.get(ingredient.sku)
        if item is None:
            problems.append(f"unknown ingredient {ingredient.sku}: {CATCHING_UP}")
            continue
        if item.kind not in ("raw", "intermediate"):
            problems.append(f"ingredient {ingredient.sku} is a {item.kind} good: ingredients are raw materials or intermediates")
        if not item.active:
            problems.append(f"ingredient {ingredient.sku} is inactive")
        if dimension(ingredient.unit) != dimension(item.base_unit):
            problems.append(
                f"ingredient {ingredient.sku} in {ingredient.unit} does not fit its item, which is kept in "
                f"{item.base_unit} ({dimension(item.base_unit)})"
            )
    cycle = cycle_through(recipe.sku, {i.sku for i in recipe.ingredients}, recipes)
    if cycle:
        problems.append("the recipe would make a cycle: " + " -> ".join(cycle))
    return problems


def cycle_through(product: str, ingredients: set[str], recipes: Mapping[str, set[str]]) -> list[str] | None:
    """A path product -> ... -> product through the recipes in force with `product`'s
    recipe replaced by `ingredients`, or None."""
    graph = {**recipes, product: ingredients}
    path: list[str] = []
    seen: set[str] = set()

    def walk(sku: str) -> list[str] | None:
        for nxt in sorted(graph.get(sku, ())):
            if nxt == product:
                return [*path, sku, product]
            if nxt not in seen:
                seen.add(nxt)
                path.append(sku)
                found = walk(nxt)
                path.pop()
                if found:
                    return found
        return None

    return walk(product)


def fractional_pieces(quantity: Decimal, unit: str) -> bool:
    """A fraction of a piece (1.5 pcs): count items are made and used in whole pieces."""
    return is_count(unit) and quantity != quantity.to_integral_value()
