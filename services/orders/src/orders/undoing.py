"""How the other services' undo steps after a cancellation change one order's facts (same
shape as appliers.py). They never move the status: the order is already cancelled here
(orders raised OrderCancelled); they leave a timeline entry saying what was undone."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import events as ev
from contracts.envelope import Envelope
from orders.appliers import Applier, Lines, _my_covers, _plan
from orders.domain.status import OrderStatus
from orders.tables import Order


async def stock_released(s: AsyncSession, order: Order, lines: Lines, env: Envelope, e: ev.Event) -> None:
    # Inventory let go of allocations and promises; the wording lists them. The line facts
    # are kept as history: a cancelled order shows its lines as cancelled anyway.
    assert isinstance(e, ev.StockReleased)
    return None


async def shipment_withdrawn(s: AsyncSession, order: Order, lines: Lines, env: Envelope, e: ev.Event) -> None:
    assert isinstance(e, ev.ShipmentWithdrawn)
    return None


async def batch_cancelled(s: AsyncSession, order: Order, lines: Lines, env: Envelope, e: ev.Event) -> OrderStatus | None:
    """The plan no longer makes the line nor counts for the promise. Sticky: a schedule
    of the batch arriving late does not bring it back."""
    assert isinstance(e, ev.BatchCancelled)
    for line_no in _my_covers(order, lines, e):
        plan = await _plan(s, order.order_id, line_no, e.batch_id)
        plan.batch_no = plan.batch_no or e.batch_no
        plan.cancelled_at = plan.cancelled_at or e.cancelled_at
    return None


UNDO_APPLIERS: dict[type[ev.Event], Applier] = {
    ev.StockReleased: stock_released,
    ev.ShipmentWithdrawn: shipment_withdrawn,
    ev.BatchCancelled: batch_cancelled,
}
