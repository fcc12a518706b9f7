"""Which recipes can be published, and why not."""

from dataclasses import replace
from decimal import Decimal

import pytest

from production.domain.recipes import IngredientSpec, RecipeSpec, recipe_problems

pytestmark = pytest.mark.unit

CREAM = RecipeSpec(
    sku="CREAM-50",
    name="Face cream 50 mL",
    output_unit="pcs",
    ingredients=(IngredientSpec("BASE", Decimal("0.05"), "kg"), IngredientSpec("JAR-50", Decimal(1), "pcs")),
    batch_min=Decimal(100),
    batch_multiple=Decimal(50),
    expected_yield=Decimal("0.95"),
    lead_time_days=3,
    shelf_life_days=365,
)


def test_a_sound_recipe_has_no_problems():
    assert recipe_problems(CREAM) == []
    assert recipe_problems(replace(CREAM, expected_yield=Decimal(1), lead_time_days=0, shelf_life_days=None)) == []


def test_a_batch_minimum_need_not_be_a_multiple_only_positive():
    assert recipe_problems(replace(CREAM, batch_min=Decimal(75))) == []
    assert recipe_problems(replace(CREAM, batch_min=Decimal(0))) == ["batch_min must be greater than 0"]


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"batch_multiple": Decimal(0)}, "batch_multiple must be greater than 0"),
        ({"expected_yield": Decimal(0)}, "expected_yield must be greater than 0 and at most 1"),
        ({"expected_yield": Decimal("1.01")}, "expected_yield must be greater than 0 and at most 1"),
        ({"lead_time_days": -1}, "lead_time_days must not be negative"),
        ({"shelf_life_days": 0}, "shelf_life_days must be at least 1 when given"),
        ({"ingredients": ()}, "a recipe needs at least one ingredient"),
        ({"name": "  "}, "name must not be blank"),
    ],
)
def test_each_rule_is_reported(change, reason):
    assert recipe_problems(replace(CREAM, **change)) == [reason]


def test_a_repeated_ingredient_is_refused():
    twice = CREAM.ingredients + (IngredientSpec("BASE", Decimal("0.01"), "kg"),)
    assert recipe_problems(replace(CREAM, ingredients=twice)) == [
        "ingredient BASE is listed more than once (give one total quantity)"
    ]


def test_the_product_cannot_be_its_own_ingredient():
    own = CREAM.ingredients + (IngredientSpec("CREAM-50", Decimal(1), "pcs"),)
    assert recipe_problems(replace(CREAM, ingredients=own)) == ["the product CREAM-50 cannot be among its own ingredients"]


def test_ingredient_quantities_must_be_positive():
    zero = (IngredientSpec("BASE", Decimal(0), "kg"),)
    assert recipe_problems(replace(CREAM, ingredients=zero)) == ["ingredient BASE: quantity must be greater than 0"]


def test_all_problems_are_reported_at_once():
    bad = replace(CREAM, batch_min=Decimal(-1), batch_multiple=Decimal(0), expected_yield=Decimal(2))
    assert len(recipe_problems(bad)) == 3
