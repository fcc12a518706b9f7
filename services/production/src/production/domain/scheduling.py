"""Capacity scheduling and batch numbering.

Capacity is counted in batches per day (the plant runs a fixed number of batches a day,
whatever their size): a day is full when as many planned or started batches are due to
start on it as the plant can run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta


def first_free_day(today: date, load: Mapping[date, int], batches_per_day: int) -> date:
    """The first day from `today` on with a free batch slot. `load` counts the batches
    already planned to start on each day (days absent are empty)."""
    if batches_per_day < 1:
        raise ValueError("batches_per_day must be at least 1")
    day = today
    # Terminates: only finitely many days carry load.
    while load.get(day, 0) >= batches_per_day:
        day += timedelta(days=1)
    return day


def planned_end(planned_start: date, lead_time_days: int) -> date:
    return planned_start + timedelta(days=max(lead_time_days, 0))


def batch_number(day: date, sequence: int) -> str:
    """`B<yymmdd>-<nnnn>`: the day the batch was planned and a service-wide sequence. It
    becomes the finished lot number, so it must be short, sortable and unique."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"B{day:%y%m%d}-{sequence:04d}"


@dataclass(frozen=True)
class DayCapacity:
    day: date
    planned: int
    capacity: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.planned, 0)


def capacity_calendar(today: date, days: int, load: Mapping[date, int], batches_per_day: int) -> list[DayCapacity]:
    return [
        DayCapacity(d, load.get(d, 0), batches_per_day)
        for d in (today + timedelta(days=i) for i in range(days))
    ]
