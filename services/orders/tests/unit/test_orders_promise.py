"""Promised date: from stock, from a reservation's lead time, from batch plans."""

from datetime import date

import pytest

from orders.domain.promise import plan_ready, promised_date, reservation_estimate

pytestmark = pytest.mark.unit


def test_nothing_known_no_promise():
    assert promised_date(handling_days=1) is None


def test_from_stock_when_fully_allocated():
    assert promised_date(handling_days=1, fully_allocated_on=date(2026, 3, 2)) == date(2026, 3, 3)


def test_full_allocation_fixes_the_promise_whatever_the_batches_say():
    assert promised_date(
        handling_days=2, fully_allocated_on=date(2026, 3, 2), plans_ready=[date(2026, 4, 1)]
    ) == date(2026, 3, 4)


def test_reservation_gives_lead_time_until_scheduled():
    estimate = reservation_estimate(date(2026, 3, 2), lead_time_days=5)
    assert estimate == date(2026, 3, 7)
    assert promised_date(handling_days=1, plans_ready=[plan_ready(None, estimate)]) == date(2026, 3, 8)
    # the schedule replaces the estimate, even when earlier
    assert promised_date(handling_days=1, plans_ready=[plan_ready(date(2026, 3, 5), estimate)]) == date(2026, 3, 6)


def test_latest_plan_end_among_the_batches_wins():
    ends = [date(2026, 11, 27), date(2026, 12, 3), None]
    assert promised_date(handling_days=1, plans_ready=ends) == date(2026, 12, 4)


def test_handling_days_setting():
    assert promised_date(handling_days=0, plans_ready=[date(2026, 1, 1)]) == date(2026, 1, 1)
