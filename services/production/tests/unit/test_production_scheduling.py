"""Capacity scheduling and batch numbering."""

from datetime import date

import pytest

from production.domain.scheduling import batch_number, capacity_calendar, first_free_day, planned_end

pytestmark = pytest.mark.unit

TODAY = date(2025, 11, 26)


def test_an_empty_plant_starts_today():
    assert first_free_day(TODAY, {}, 4) == TODAY


def test_a_day_with_a_free_slot_is_taken():
    assert first_free_day(TODAY, {TODAY: 3}, 4) == TODAY


def test_full_days_push_the_start_to_the_first_day_with_a_slot():
    load = {date(2025, 11, 26): 2, date(2025, 11, 27): 2, date(2025, 11, 29): 1}
    assert first_free_day(TODAY, load, 2) == date(2025, 11, 28)


def test_an_overbooked_day_counts_as_full():
    # capacity lowered after batches were planned: the day is still full, not negative
    assert first_free_day(TODAY, {TODAY: 7}, 4) == date(2025, 11, 27)


def test_load_on_past_days_does_not_matter():
    assert first_free_day(TODAY, {date(2025, 11, 25): 99}, 1) == TODAY


def test_capacity_must_be_positive():
    with pytest.raises(ValueError):
        first_free_day(TODAY, {}, 0)


def test_planned_end_is_start_plus_lead_time():
    assert planned_end(date(2025, 12, 30), 3) == date(2026, 1, 2)
    assert planned_end(TODAY, 0) == TODAY


def test_batch_number_is_day_and_zero_padded_sequence():
    assert batch_number(date(2026, 11, 25), 1) == "B261125-0001"
    assert batch_number(date(2025, 1, 5), 42) == "B250105-0042"


def test_batch_number_grows_past_four_digits_rather_than_wrapping():
    assert batch_number(TODAY, 12345) == "B251126-12345"


def test_batch_numbers_sort_by_day():
    assert batch_number(date(2025, 12, 31), 9) < batch_number(date(2026, 1, 1), 1)


def test_batch_number_needs_a_positive_sequence():
    with pytest.raises(ValueError):
        batch_number(TODAY, 0)


def test_capacity_calendar_shows_free_slots_per_day():
    cal = capacity_calendar(TODAY, 3, {TODAY: 4, date(2025, 11, 27): 1}, 4)
    assert [(d.day.day, d.planned, d.free) for d in cal] == [(26, 4, 0), (27, 1, 3), (28, 0, 4)]
