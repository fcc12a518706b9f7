"""Quotes and dated waits from stock, planned surplus and materials (pure rules)."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from inventory.domain.promising import MaterialCheck, PlannedSurplus, expected_ready, materials_ready_on, quote

pytestmark = pytest.mark.unit
TODAY = date(2030, 5, 6)


def test_free_stock_covering_the_need_is_ready_today():
    a = quote(today=TODAY, need=D(10), unit="pcs", free_stock=D(12), surplus=[], has_recipe=True)
    assert (a.basis, a.ready_date, a.needs_production) == ("stock", TODAY, False)


def test_the_rest_comes_from_planned_surplus_at_the_latest_plan_end_used():
    plans = [PlannedSurplus("p1", D(3), TODAY + timedelta(days=2)), PlannedSurplus("p2", D(10), TODAY + timedelta(days=5))]
    a = quote(today=TODAY, need=D(10), unit="pcs", free_stock=D(4), surplus=plans, has_recipe=True)
    assert (a.basis, a.ready_date, a.from_stock, a.from_plans) == ("planned_batch", TODAY + timedelta(days=5), D(4), D(6))
    assert "4 pcs from stock" in a.explanation


def test_materials_on_hand_make_it_after_the_lead_time():
    mats = [MaterialCheck("OIL", D(5), D(9), "kg", 14)]
    a = quote(today=TODAY, need=D(10), unit="pcs", free_stock=D(0), surplus=[], has_recipe=True, lead_time_days=2,
              materials=mats)
    assert (a.basis, a.materials_ready_on, a.ready_date) == ("production", TODAY, TODAY + timedelta(days=2))


def test_missing_materials_wait_for_the_longest_supplier_lead_time():
    mats = [MaterialCheck("OIL", D(5), D(1), "kg", 14), MaterialCheck("JAR", D(10), D(2), "pcs", 3),
            MaterialCheck("WAX", D(1), D(1), "kg", None)]
    a = quote(today=TODAY, need=D(10), unit="pcs", free_stock=D(0), surplus=[], has_recipe=True, lead_time_days=2,
              materials=mats)
    assert (a.basis, a.materials_ready_on, a.ready_date) == ("purchase", TODAY + timedelta(days=14), TODAY + timedelta(days=16))
    assert "4 kg of OIL (supplier lead time 14 days)" in a.explanation


def test_a_missing_material_without_lead_time_cannot_be_dated():
    assert materials_ready_on(TODAY, [3, None]) is None
    assert expected_ready(TODAY, [MaterialCheck("OIL", D(5), D(1), "kg", None)], 2) is None
    assert expected_ready(TODAY, [MaterialCheck("OIL", D(5), D(1), "kg", 7)], 2) == TODAY + timedelta(days=9)


def test_without_recipe_what_stock_and_plans_lack_cannot_be_promised():
    a = quote(today=TODAY, need=D(10), unit="pcs", free_stock=D(2), surplus=[], has_recipe=False)
    assert (a.basis, a.ready_date) == ("unavailable", None)
