"""Recipes checked against the catalog and the recipes in force."""

from dataclasses import replace
from decimal import Decimal

import pytest

from production.domain.catalog_rules import CatalogItem, catalog_problems, cycle_through, fractional_pieces
from production.domain.recipes import IngredientSpec, RecipeSpec

pytestmark = pytest.mark.unit

CATALOG = {
    "CREAM": CatalogItem("CREAM", "finished", "pcs"),
    "BASE": CatalogItem("BASE", "intermediate", "kg"),
    "OIL": CatalogItem("OIL", "raw", "L"),
    "JAR": CatalogItem("JAR", "raw", "pcs"),
    "SOAP": CatalogItem("SOAP", "finished", "pcs"),
    "OLD": CatalogItem("OLD", "raw", "kg", active=False),
}
CREAM = RecipeSpec("CREAM", "Cream", "pcs", (IngredientSpec("BASE", Decimal("0.05"), "g"), IngredientSpec("JAR", Decimal(1), "pcs")),
                   Decimal(100), Decimal(50), Decimal("0.95"), 3)


def with_ingredient(sku: str, unit: str) -> RecipeSpec:
    return replace(CREAM, ingredients=(*CREAM.ingredients, IngredientSpec(sku, Decimal(1), unit)))


def test_a_recipe_that_fits_the_catalog_has_no_problems():
    assert catalog_problems(CREAM, CATALOG, {}) == []


@pytest.mark.parametrize(
    "recipe, words",
    [
        (with_ingredient("GHOST", "kg"), "unknown ingredient GHOST"),
        (with_ingredient("SOAP", "pcs"), "ingredient SOAP is a finished good"),
        (with_ingredient("OIL", "kg"), "ingredient OIL in kg does not fit its item, which is kept in L (volume)"),
        (with_ingredient("JAR", "kg"), "ingredient JAR in kg does not fit"),
        (with_ingredient("OLD", "kg"), "ingredient OLD is inactive"),
        (replace(CREAM, output_unit="kg"), "output unit kg does not fit CREAM, which is kept in pcs"),
        (replace(CREAM, sku="NEW"), "unknown product NEW"),
        (replace(CREAM, sku="OIL", output_unit="L"), "OIL is a raw material"),
    ],
)
def test_every_misfit_is_named(recipe, words):
    problems = catalog_problems(recipe, CATALOG, {})
    assert any(words in p for p in problems), problems


def test_an_unknown_sku_says_the_catalog_may_be_catching_up():
    (problem,) = catalog_problems(replace(CREAM, sku="NEW"), CATALOG, {})
    assert "may not have reached production yet" in problem


def test_cycles_through_intermediates_are_found():
    base = RecipeSpec("BASE", "Base", "kg", (IngredientSpec("CREAM", Decimal(1), "pcs"),), Decimal(1), Decimal(1), Decimal(1), 1)
    graph = {"CREAM": {"BASE", "JAR"}}
    assert cycle_through("BASE", {"CREAM"}, graph) == ["BASE", "CREAM", "BASE"]
    assert any("cycle: BASE -> CREAM -> BASE" in p for p in catalog_problems(base, CATALOG, graph))
    # Replacing a recipe drops its old ingredients from the graph.
    assert cycle_through("CREAM", {"JAR"}, {"CREAM": {"BASE"}, "BASE": {"CREAM"}}) is None
    assert cycle_through("CREAM", {"BASE"}, {"BASE": {"OIL"}}) is None


def test_pieces_are_whole():
    assert fractional_pieces(Decimal("1.5"), "pcs") and not fractional_pieces(Decimal("1.5"), "kg")
    assert not fractional_pieces(Decimal("2.000"), "pcs")
