"""The orders that cannot progress (awaiting materials), each waiting line with its
category and the action that unblocks it: orders' part of the operators' stuck list."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.domain.status import LineState, line_state
from orders.domain.stuck import action, category
from orders.facts import line_facts
from orders.tables import LinePlan, Order, OrderLine


async def stuck_orders(session: AsyncSession, limit: int, offset: int) -> dict:
    cond = Order.status == "awaiting_materials"  # index orders_status
    total = (await session.execute(select(func.count()).select_from(Order).where(cond))).scalar_one()
    orders = list(await session.scalars(select(Order).where(cond).order_by(Order.placed_at).limit(limit).offset(offset)))
    ids = [o.order_id for o in orders]
    lines = list(await session.scalars(select(OrderLine).where(OrderLine.order_id.in_(ids)))) if ids else []
    plans = list(await session.scalars(select(LinePlan).where(LinePlan.order_id.in_(ids)))) if ids else []
    items = []
    for order in orders:
        waiting = []
        for line in sorted((ln for ln in lines if ln.order_id == order.order_id), key=lambda ln: ln.line_no):
            mine = [p for p in plans if p.order_id == order.order_id and p.line_no == line.line_no]
            if line_state(line_facts(line, mine)) is not LineState.awaiting_materials:
                continue
            cat = category(line.short_code, line.short_reason, line.shortages)
            waiting.append({
                "line_no": line.line_no, "sku": line.sku, "quantity": line.quantity, "unit": line.unit,
                "category": cat, "reason": line.short_reason or "", "shortages": line.shortages or [],
                "expected_date": line.waiting_date, "action": action(cat, line.sku, line.shortages, line.short_reason),
            })
        items.append({
            "order_id": order.order_id, "order_no": order.order_no, "customer_name": order.customer_name,
            "placed_at": order.placed_at, "promised_date": order.promised_date, "expected_date": order.expected_date,
            "lines": waiting,
        })
    return {"items": items, "total": total, "limit": limit, "offset": offset}
