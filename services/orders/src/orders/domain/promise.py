"""The date promised to the customer.

- Fully allocated (goods in hand): the day of the full allocation + handling days. Fixed
  from then on, so later batch news cannot move a promise for goods already set aside.
- Made to order: per batch plan of the order, its planned end when the batch is scheduled,
  else the reservation's estimate (reservation day + lead time); the latest of them +
  handling days wins (the order ships when its last batch is done).
- Nothing known: no promise.

That was the first rule set; the order's dates now follow `expected_date` below: the promise
is the first expected date known after placement (kept), the expected date is recomputed on
every supply change and covers every line, waiting ones included."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum


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


# -- the expected date: every line dated, the latest wins ---------------------------------
@dataclass(frozen=True)
class LineDating:
    """What dates one line. `parts`: the days its pieces are ready (open plans' ready days,
    completed batches' days, the day a partial allocation was made)."""

    fully_allocated_on: date | None = None
    waiting: bool = False  # part of the line waits for materials / a recipe / an item
    waiting_date: date | None = None  # when the wait could end (MaterialsShort.expected_date)
    parts: tuple[date, ...] = ()


class Unknown(Enum):
    NOT_YET = "not yet"  # a line with no supply news yet (events in flight): keep the last date
    UNDATABLE = "undatable"  # a line waits for something nobody can date (no recipe, no lead time)


def line_ready(line: LineDating) -> date | Unknown:
    if line.fully_allocated_on is not None:
        return line.fully_allocated_on
    if line.waiting and line.waiting_date is None:
        return Unknown.UNDATABLE
    days = [*line.parts, *([line.waiting_date] if line.waiting and line.waiting_date else [])]
    return max(days) if days else Unknown.NOT_YET


def expected_date(*, handling_days: int, fully_allocated_on: date | None, lines: Iterable[LineDating]) -> date | Unknown:
    """The order ships when its last line is ready: max over lines + handling. Goods in hand
    (fully allocated) fix it. A line nobody can date makes the order undatable; a line with
    no news yet leaves the date as it was (the caller keeps it)."""
    handling = timedelta(days=handling_days)
    if fully_allocated_on is not None:
        return fully_allocated_on + handling
    ready = [line_ready(line) for line in lines]
    if Unknown.UNDATABLE in ready:
        return Unknown.UNDATABLE
    if not ready or Unknown.NOT_YET in ready:
        return Unknown.NOT_YET
    return max(d for d in ready if isinstance(d, date)) + handling


def waits(short_at: datetime | None, resolved_at: Iterable[datetime | None], fully_allocated: bool) -> bool:
    """Does the line still wait? It does from its latest MaterialsShort until a reservation
    or allocation of the line said later (by the producer's clock, whatever the arrival
    order across topics) covers it."""
    if short_at is None or fully_allocated:
        return False
    return not any(at is not None and at > short_at for at in resolved_at)

