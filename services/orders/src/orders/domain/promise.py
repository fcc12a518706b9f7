"""The date promised to the customer.

- Fully allocated (goods in hand): the day of the full allocation + handling days. Fixed
  from then on, so later batch news cannot move a promise for goods already set aside.
- Made to order: per batch plan of the order, its planned end when the batch is scheduled,
  else the reservation's estimate (reservation day + lead time); the latest of them +
  handling days wins (the order ships when its last batch is done).
- Nothing known: no promise."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta


def plan_ready(planned_end: date | None, ready_estimate: date | None) -> date | None:
    """When one plan's output is expected: its schedule once known, the estimate until then."""
    return planned_end or ready_estimate


def promised_date(
    *,
    handling_days: int,
    fully_allocated_on: date | None = None,
    plans_ready: Iterable[date | None] = (),
) -> date | None:
    handling = timedelta(days=handling_days)
    if fully_allocated_on is not None:
        return fully_allocated_on + handling
    known = [d for d in plans_ready if d is not None]
    return max(known) + handling if known else None


def reservation_estimate(reserved_on: date, lead_time_days: int) -> date:
    return reserved_on + timedelta(days=lead_time_days)
