"""What makes a recipe (bill of materials) publishable."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class IngredientSpec:
    sku: str
    # Per one unit of output, in `unit`.
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class RecipeSpec:
    sku: str
    name: str
    output_unit: str
    ingredients: tuple[IngredientSpec, ...]
    batch_min: Decimal
    batch_multiple: Decimal
    expected_yield: Decimal
    lead_time_days: int
    shelf_life_days: int | None = None


def recipe_problems(recipe: RecipeSpec) -> list[str]:
    """Every reason the recipe cannot be published (empty: it can). All reasons at once, so
    an operator fixes the form in one go."""
    problems: list[str] = []
    if not recipe.name.strip():
        problems.append("name must not be blank")
    if not recipe.ingredients:
        problems.append("a recipe needs at least one ingredient")
    if recipe.batch_min <= 0:
        problems.append("batch_min must be greater than 0")
    if recipe.batch_multiple <= 0:
        problems.append("batch_multiple must be greater than 0")
    if not (0 < recipe.expected_yield <= 1):
        problems.append("expected_yield must be greater than 0 and at most 1")
    if recipe.lead_time_days < 0:
        problems.append("lead_time_days must not be negative")
    if recipe.shelf_life_days is not None and recipe.shelf_life_days < 1:
        problems.append("shelf_life_days must be at least 1 when given")
    seen: set[str] = set()
    for ingredient in recipe.ingredients:
        if ingredient.sku == recipe.sku:
            problems.append(f"the product {recipe.sku} cannot be among its own ingredients")
        if ingredient.sku in seen:
            problems.append(f"ingredient {ingredient.sku} is listed more than once (give one total quantity)")
        seen.add(ingredient.sku)
        if ingredient.quantity <= 0:
            problems.append(f"ingredient {ingredient.sku}: quantity must be greater than 0")
    return problems
