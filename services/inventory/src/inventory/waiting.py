"""A line (or the rest of it) that cannot be covered now waits: for materials (its shortages
say what to buy), for a recipe, or for an item. A retried line that still waits says so
again only when its shortage changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import MaterialsShort
from contracts.events.inventory import MaterialShortage
from contracts.units import Unit
from eventkit import Context
from inventory.tables import DemandLine, LineShortage

ZERO = Decimal(0)


@dataclass(frozen=True)
class Waiting:
    """What a line waits for: compared before and after a retry."""

    quantity: Decimal
    reason: str
    shortages: frozenset[tuple]  # (material_sku, required, available, missing, unit)
    # A retry on a later day dates the wait later (today + lead times): a changed date is
    # news for the order's expected date, so it is told again.
    reason_code: str | None = None
    expected_date: date | None = None


NOT_WAITING = Waiting(ZERO, "", frozenset())


def _key(material_sku: str, required: Decimal, available: Decimal, missing: Decimal, unit: str) -> tuple:
    return (material_sku, Decimal(required), Decimal(available), Decimal(missing), str(unit))


async def waiting_of(session: AsyncSession, demand: DemandLine) -> Waiting:
    if demand.waiting <= 0:
        return NOT_WAITING
    rows = (
        await session.execute(
            select(LineShortage).where(LineShortage.order_id == demand.order_id, LineShortage.line_no == demand.line_no)
        )
    ).scalars().all()
    return waiting_from(demand, rows)


async def shortages_of(session: AsyncSession, lines: Sequence[DemandLine]) -> dict[tuple[str, int], list[LineShortage]]:
    """The shortage rows of several lines in one statement (a line with none is absent).
    Only lines that wait can have any."""
    keys = [(d.order_id, d.line_no) for d in lines if d.waiting > 0]
    found: dict[tuple[str, int], list[LineShortage]] = {}
    if not keys:
        return found
    rows = await session.execute(
        select(LineShortage).where(tuple_(LineShortage.order_id, LineShortage.line_no).in_(keys))
    )
    for s in rows.scalars():
        found.setdefault((s.order_id, s.line_no), []).append(s)
    return found


def waiting_from(demand: DemandLine, rows: Sequence[LineShortage]) -> Waiting:
    """What the line waits for, given its shortage rows."""
    if demand.waiting <= 0:
        return NOT_WAITING
    return Waiting(
        demand.waiting, demand.reason,
        frozenset(_key(s.material_sku, s.required, s.available, s.missing, s.unit) for s in rows),
        demand.reason_code, demand.expected_date,
    )


async def stop_waiting(session: AsyncSession, demand: DemandLine, has_shortages: bool = True) -> None:
    """The line waits for nothing (it is being retried, or cancelled). `has_shortages=False`:
    the caller read that the line has no shortage rows (it waited for a recipe or an item),
    so there is nothing to delete."""
    demand.waiting = ZERO
    demand.reason = ""
    demand.reason_code = None
    demand.expected_date = None
    if not has_shortages:
        return
    await session.execute(
        delete(LineShortage).where(LineShortage.order_id == demand.order_id, LineShortage.line_no == demand.line_no)
    )


async def wait_for(
    ctx: Context, demand: DemandLine, quantity: Decimal, reason: str = "",
    shortages: Sequence[MaterialShortage] = (), before: Waiting | None = None, *,
    code: str, expected_date: date | None = None,
) -> None:
    """The rest of the line waits: recorded on the demand (and its shortages) and told with
    MaterialsShort, unless it waited for exactly this before (`before`, a retry).
    `code`: contracts' SHORTAGE_REASON_CODES; `expected_date`: when it could be ready."""
    demand.waiting = demand.waiting + quantity
    demand.reason = reason
    demand.reason_code = code
    demand.expected_date = expected_date
    for s in shortages:
        ctx.session.add(
            LineShortage(
                order_id=demand.order_id, line_no=demand.line_no, material_sku=s.material_sku,
                required=s.required, available=s.available, missing=s.missing, unit=s.unit,
            )
        )
    now = Waiting(
        demand.waiting, reason,
        frozenset(_key(s.material_sku, s.required, s.available, s.missing, s.unit) for s in shortages),
        code, expected_date,
    )
    if before is not None and now == before:
        return
    await ctx.emit(
        MaterialsShort(
            order_id=demand.order_id, line_no=demand.line_no, sku=demand.sku, quantity=quantity,
            unit=Unit(demand.unit), shortages=list(shortages), reason=reason,
            reason_code=code, expected_date=expected_date,
        ),
        correlation_id=demand.order_id,
    )
