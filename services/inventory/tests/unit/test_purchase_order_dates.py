"""Open purchase orders as expected supply: the earliest PO date that covers what is missing
replaces the supplier's lead time; a PO too small, or none, leaves the lead time."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from inventory.domain.planning import MaterialNeed
from inventory.domain.promising import MaterialCheck, covered_on, expected_ready, material_checks, quote

pytestmark = pytest.mark.unit
TODAY = date(2030, 1, 1)


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


def test_covered_on_is_the_first_date_the_cumulative_open_quantity_reaches_the_need():
    pos = [(day(9), D(3)), (day(4), D(2)), (day(6), D(2))]
    assert covered_on(D(2), pos) == day(4)
    assert covered_on(D(4), pos) == day(6)
    assert covered_on(D(7), pos) == day(9)
    assert covered_on(D("7.1"), pos) is None
    assert covered_on(D(0), pos) is None


def test_a_po_dates_the_material_instead_of_the_lead_time_and_an_overdue_one_counts_as_today():
    assert MaterialCheck("OIL", D(5), D(1), "kg", 14, on_order_by=day(3)).lead_days(TODAY) == 3
    assert MaterialCheck("OIL", D(5), D(1), "kg", 14, on_order_by=day(-2)).lead_days(TODAY) == 0
    assert MaterialCheck("OIL", D(5), D(1), "kg", None, on_order_by=day(3)).lead_days(TODAY) == 3
    assert MaterialCheck("OIL", D(5), D(1), "kg", 14).lead_days(TODAY) == 14


def test_material_checks_take_open_purchase_orders_per_material():
    needs = [MaterialNeed("OIL", D(5), "kg"), MaterialNeed("WAX", D(2), "kg")]
    checks = material_checks(needs, {"OIL": D(1)}, {"OIL": 14, "WAX": 10},
                             {"OIL": [(day(5), D(4))], "WAX": [(day(2), D(1))]})
    assert [(c.sku, c.on_order_by) for c in checks] == [("OIL", day(5)), ("WAX", None)]  # 1 kg of WAX is not 2
    assert expected_ready(TODAY, checks, 2) == day(12)  # WAX still waits for its 10-day lead time
    answer = quote(today=TODAY, need=D(10), unit="pcs", free_stock=D(0), surplus=[], has_recipe=True,
                   lead_time_days=2, materials=checks[:1])
    assert answer.materials_ready_on == day(5) and f"on order, expected {day(5)}" in answer.explanation
