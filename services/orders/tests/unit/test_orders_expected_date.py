"""Every line dated, the latest wins; a line without news keeps the date; one nobody can
date makes the order undatable. Waiting ends with a later reservation or allocation."""

from datetime import date, datetime, timedelta, timezone

import pytest

from orders.domain.promise import LineDating, Unknown, expected_date, waits
from orders.domain.stuck import action, category

pytestmark = pytest.mark.unit
D1, D9 = date(2030, 1, 1), date(2030, 1, 9)


def test_the_latest_line_wins_including_a_waiting_one():
    lines = [LineDating(parts=(D1,)), LineDating(waiting=True, waiting_date=D9, parts=(D1,))]
    assert expected_date(handling_days=1, fully_allocated_on=None, lines=lines) == D9 + timedelta(days=1)


def test_goods_in_hand_fix_the_date():
    assert expected_date(handling_days=2, fully_allocated_on=D1, lines=[LineDating(waiting=True)]) == date(2030, 1, 3)


def test_no_news_keeps_and_an_undatable_wait_clears():
    assert expected_date(handling_days=1, fully_allocated_on=None, lines=[LineDating(parts=(D1,)), LineDating()]) is Unknown.NOT_YET
    undatable = [LineDating(parts=(D1,)), LineDating(waiting=True)]
    assert expected_date(handling_days=1, fully_allocated_on=None, lines=undatable) is Unknown.UNDATABLE


def test_a_wait_ends_only_with_news_said_after_it():
    t = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert waits(t, [t - timedelta(seconds=1), None], False)
    assert not waits(t, [t + timedelta(seconds=1)], False)
    assert not waits(t, [], True) and not waits(None, [], False)


def test_categories_and_actions():
    assert category("no_recipe", "", None) == "no recipe"
    assert category(None, "unknown SKU X: no item and no recipe", None) == "unknown item"
    assert category(None, "recipe of X does not fit its units: kg/L", None) == "broken recipe"
    shortage = [{"material_sku": "OIL", "missing": "12.000000", "unit": "kg"}]
    assert action("shortage", "SOAP", shortage, "") == "receive 12 kg of OIL"
