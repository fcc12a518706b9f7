from decimal import Decimal as D

import pytest

from contracts.recipes import batch_quantity
from contracts.units import IncompatibleUnits, Unit
from inventory.domain.planning import (
    Ingredient, OpenPlan, Recipe, batch_for, excess_material, material_needs, promise_from_plans,
    proportional_excess, shortages, shrunk_batch,
)
from inventory.domain.quantities import to_base

pytestmark = pytest.mark.unit


def recipe(**kw):
    base = dict(
        sku="CREAM", version=3, output_unit=Unit.kg,
        ingredients=(Ingredient("OIL", D("0.6"), Unit.kg), Ingredient("WAX", D("150"), Unit.g)),
        batch_min=D(50), batch_multiple=D(25), expected_yield=D("0.9"), lead_time_days=4,
    )
    return Recipe(**{**base, **kw})


@pytest.mark.parametrize(
    "need, expected",
    [("1", "50"), ("50", "50"), ("51", "75"), ("75", "75"), ("75.000001", "100"), ("200", "200")],
)
def test_batch_is_the_minimum_or_the_next_multiple(need, expected):
    assert batch_quantity(D(need), D(50), D(25)) == D(expected)
    assert batch_for(D(need), Unit.kg, recipe()) == D(expected)  # the planner uses the shared rule


def test_batch_multiple_can_be_fractional():
    assert batch_quantity(D("1.1"), D("0.5"), D("0.5")) == D("1.5")


def test_batch_is_sized_in_the_recipe_output_unit_and_returned_in_the_item_unit():
    # 60000 g needed; the recipe's rules are in kg: 60 kg -> 75 kg -> 75000 g.
    assert batch_for(D(60000), Unit.g, recipe()) == D(75000)
    with pytest.raises(IncompatibleUnits):
        batch_for(D(1), Unit.L, recipe())


def test_material_need_is_batch_times_quantity_over_yield_in_each_material_base_unit():
    needs = material_needs(D(90), Unit.kg, recipe(), {"OIL": Unit.kg, "WAX": Unit.kg})
    by_sku = {n.sku: n for n in needs}
    assert by_sku["OIL"].quantity == D(60) and by_sku["OIL"].unit == Unit.kg  # 90 x 0.6 / 0.9
    assert by_sku["WAX"].quantity == D(15) and by_sku["WAX"].unit == Unit.kg  # 90 x 150 g / 0.9 = 15000 g


def test_material_need_rounds_up_to_six_decimals_and_sums_a_repeated_material():
    r = recipe(
        ingredients=(Ingredient("OIL", D(1), Unit.kg), Ingredient("OIL", D(500), Unit.g)), expected_yield=D("0.7")
    )
    (need,) = material_needs(D(1), Unit.kg, r, {"OIL": Unit.kg})
    assert need.quantity == D("2.142858")  # 1.5 / 0.7 = 2.1428571..., rounded up


def test_material_not_stocked_keeps_the_recipe_unit():
    needs = material_needs(D(50), Unit.kg, recipe(), {})
    assert {(n.sku, n.unit) for n in needs} == {("OIL", Unit.kg), ("WAX", Unit.g)}


def test_material_in_an_incompatible_unit_is_refused():
    with pytest.raises(IncompatibleUnits):
        material_needs(D(50), Unit.kg, recipe(), {"OIL": Unit.L})


def test_shortages_report_required_available_missing():
    needs = material_needs(D(90), Unit.kg, recipe(), {"OIL": Unit.kg, "WAX": Unit.kg})
    short = shortages(needs, {"OIL": D(45), "WAX": D(20)})
    assert [(s.sku, s.required, s.available, s.missing) for s in short] == [("OIL", D(60), D(45), D(15))]
    assert shortages(needs, {"OIL": D(60), "WAX": D(15)}) == []


def test_promises_use_oldest_plans_surplus_first():
    plans = [OpenPlan("p1", D(0)), OpenPlan("p2", D(10)), OpenPlan("p3", D(30))]
    promised, left = promise_from_plans(D(25), plans)
    assert promised == [("p2", D(10)), ("p3", D(15))] and left == 0
    promised, left = promise_from_plans(D(50), plans)
    assert left == D(10)


def test_quantities_convert_to_base_unit_and_demand_rounds_up():
    assert to_base(D("1.5"), Unit.kg, Unit.g) == D(1500)
    assert to_base(D("1"), Unit.mL, Unit.L) == D("0.001")
    assert to_base(D("0.0000001"), Unit.g, Unit.kg, round_up=True) == D("0.000001")
    with pytest.raises(IncompatibleUnits):
        to_base(D(1), Unit.kg, Unit.pcs)


def test_a_shrunk_batch_keeps_what_its_promises_need():
    assert shrunk_batch(D(50), D(50), D(100)) == D(50)
    assert shrunk_batch(D(25), D(50), D(100)) == D(50)  # promises still need a 50 batch
    assert shrunk_batch(D(100), D(50), D(100)) is None  # not smaller: nothing to do
    assert shrunk_batch(D(25), D(100), D(100)) is None


def test_excess_material_of_a_shrink_is_the_difference_of_needs():
    old = material_needs(D(100), Unit.kg, recipe(), {"OIL": Unit.kg, "WAX": Unit.kg})
    new = material_needs(D(50), Unit.kg, recipe(), {"OIL": Unit.kg, "WAX": Unit.kg})
    excess = excess_material(old, new)
    # OIL 66.666667 - 33.333334 (each rounded up); WAX 16.666667 - 8.333334 kg
    assert excess == {"OIL": D("33.333333"), "WAX": D("8.333333")}
    assert proportional_excess({"OIL": D(10)}, D(100), D(75)) == {"OIL": D("2.5")}
    assert proportional_excess({"OIL": D(1)}, D(3), D(2)) == {"OIL": D("0.333333")}  # rounded down
