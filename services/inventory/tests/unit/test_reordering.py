"""Reorder points, pure: rule checks, the target from recent demand, the crossing, the quantity."""

from decimal import Decimal as D

import pytest

from inventory.domain.reordering import (
    Position, RuleTerms, below_point, quantity_to_order, rule_problems, status_of, target_level,
)


def terms(point="20", target=None, days=None, lookback=28) -> RuleTerms:
    return RuleTerms(D(point), D(target) if target is not None else None, days, lookback)


@pytest.mark.parametrize("rule, unit, reason", [
    (terms("-1", "5"), "kg", "negative"),
    (terms("20", "10"), "kg", "below the reorder point"),
    (terms("0", "0"), "kg", "never order"),
    (terms("5"), "kg", "either a target"),
    (terms("5", "9", days=3), "kg", "either a target"),
    (terms("5", days=0), "kg", "at least 1"),
    (terms("5", days=3, lookback=0), "kg", "lookback_days"),
    (terms("1.5", "10"), "pcs", "whole numbers"),
    (terms("1", "1e12"), "kg", "beyond"),
])
def test_bad_rules_say_why(rule, unit, reason):
    assert any(reason in p for p in rule_problems(rule, unit))


def test_good_rules_pass():
    assert rule_problems(terms("20", "50"), "kg") == []
    assert rule_problems(terms("20", "20"), "pcs") == []
    assert rule_problems(terms("0", days=14), "kg") == []


def test_days_of_cover_fills_up_to_recent_daily_demand_never_below_the_point():
    assert target_level(terms("10", days=30), D(56), "kg") == D(60)  # 2 a day x 30
    assert target_level(terms("10", days=30), D(0), "kg") == D(10)  # a quiet month: the point
    assert target_level(terms("1", days=10), D(7), "pcs") == D(3)  # 0.25 a day x 10 = 2.5 -> 3 whole pieces
    assert target_level(terms("10", "40"), D(999), "kg") == D(40)  # min/max ignores demand


def test_the_crossing_is_strictly_below_the_point():
    assert not below_point(Position(D(15), D(5)), D(20))
    assert below_point(Position(D(15), D(4)), D(20))
    assert not below_point(Position(D(0), D(0)), D(0))


def test_quantity_fills_the_position_up_to_the_target():
    assert quantity_to_order(Position(D(15), D(0)), D(50), "kg") == D(35)
    assert quantity_to_order(Position(D("1.5"), D(0)), D(10), "pcs") == D(9)
    assert quantity_to_order(Position(D(60), D(0)), D(50), "kg") == D(0)


def test_status_for_operators():
    assert status_of(Position(D(30), D(0)), D(20), None) == "ok"
    assert status_of(Position(D(10), D(0)), D(20), "suggested") == "replenishing"
    assert status_of(Position(D(10), D(0)), D(20), "waiting") == "waiting"
    assert status_of(Position(D(10), D(0)), D(20), None) == "below"
