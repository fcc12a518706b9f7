"""Read side of the API: the order list with its filters and one order in full."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from orders.domain.status import LineState, line_state
from orders.facts import line_facts
from orders.order_rows import LineRow, read_lines
from orders.tables import Order, OrderLine
from orders.schemas import LineOut, OrderContact, OrderOut, OrderPage, OrderSummary, PlanOut, ShipmentOut, ShortageOut, TimelineOut


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None
    customer: str | None = None
    channel: str | None = None
    sku: str | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None
    attention: bool | None = None  # True: only orders a person must look at


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_orders(session: AsyncSession, f: OrderFilter, limit: int, offset: int) -> OrderPage:
    conds = []
    if f.status:
        conds.append(Order.status == f.status)
    if f.customer:
        pattern = _like(f.customer)
        conds.append(or_(Order.customer_name.ilike(pattern), Order.customer_email.ilike(pattern)))
    if f.channel:
        conds.append(Order.channel == f.channel)
    if f.sku:
        conds.append(select(OrderLine.line_no).where(OrderLine.order_id == Order.order_id, OrderLine.sku == f.sku).exists())
    if f.placed_from:
        conds.append(Order.placed_at >= f.placed_from)
    if f.placed_to:
        conds.append(Order.placed_at <= f.placed_to)
    if f.attention is not None:
        conds.append(Order.attention.is_not(None) if f.attention else Order.attention.is_(None))
    total = (await session.execute(select(func.count()).select_from(Order).where(*conds))).scalar_one()
    rows = await session.scalars(
        select(Order).where(*conds).order_by(Order.placed_at.desc(), Order.order_no.desc()).limit(limit).offset(offset)
    )
    items = [OrderSummary.model_validate(o, from_attributes=True) for o in rows]
    return OrderPage(items=items, total=total, limit=limit, offset=offset)


async def order_contacts(session: AsyncSession, order_ids: list[str]) -> list[OrderContact]:
    """Many orders' customers in one statement (a recall list names dozens of orders)."""
    rows = await session.scalars(select(Order).where(Order.order_id.in_(order_ids)).order_by(Order.order_id))
    return [OrderContact.model_validate(o, from_attributes=True) for o in rows]


# One order in full, for every placement's answer and every poll of it: Core statements built
# once (the ORM's entity loading cost more CPU than the rest of a placement).
_ORDER_VIEW = text(
    f"SELECT {', '.join(f for f in OrderOut.model_fields if f not in ('lines', 'shortages', 'shipments', 'timeline'))} "
    "FROM orders WHERE order_id = :order_id"
)
_SHIPMENTS_VIEW = text(
    f"SELECT {', '.join(ShipmentOut.model_fields)} FROM shipments WHERE order_id = :order_id ORDER BY shipped_at"
)
_TIMELINE_VIEW = text(
    f"SELECT {', '.join(TimelineOut.model_fields)} FROM timeline WHERE order_id = :order_id ORDER BY at, id"
)


async def get_order(session: AsyncSession, order_id: str) -> OrderOut | None:
    params = {"order_id": order_id}
    order = (await session.execute(_ORDER_VIEW, params)).mappings().first()
    if order is None:
        return None
    lines, plans = await read_lines(session, order_id)
    shipments = (await session.execute(_SHIPMENTS_VIEW, params)).mappings()
    timeline = (await session.execute(_TIMELINE_VIEW, params)).mappings()
    line_views, shortages = [], []
    for line in lines.values():
        # By planned end, unscheduled last (as PostgreSQL sorts NULLs).
        mine = sorted((p for p in plans.values() if p.line_no == line.line_no),
                      key=lambda p: (p.planned_end is None, p.planned_end))
        state = LineState.cancelled if order["status"] == "cancelled" else line_state(line_facts(line, mine))
        line_views.append(LineOut(
            **line.params(), state=state.value, plans=[PlanOut(**p.params()) for p in mine],
        ))
        if state is LineState.awaiting_materials:
            shortages += _shortages(line)
    return OrderOut(
        **order,
        lines=line_views,
        shortages=shortages,
        shipments=[ShipmentOut(**s) for s in shipments],
        timeline=[TimelineOut(**t) for t in timeline],
    )


def _shortages(line: LineRow) -> list[ShortageOut]:
    if not line.shortages:
        return [ShortageOut(line_no=line.line_no, sku=line.sku, reason=line.short_reason)]
    return [ShortageOut(line_no=line.line_no, sku=line.sku, reason=line.short_reason, **s) for s in line.shortages]
