"""Cancelling an order (an operator's or customer's request).

Under the order's row lock, so a Shipped being recorded at the same moment is either seen
(then the cancel is refused: goods left) or comes after (then it is recorded as "shipped
although cancellation was requested"). Cancelling marks the order, adds a timeline entry and
writes OrderCancelled to the outbox in one transaction; the other services undo their part
(choreography) and their StockReleased / BatchCancelled / ShipmentWithdrawn land on the
timeline. A second cancel changes nothing and raises no second event."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

from contracts.events import OrderCancelled
from eventkit import Context
from orders.domain.status import goods_left
from orders.domain.wording import describe
from orders.facts import add_timeline, locked_order, order_lines, refresh
from orders.tables import Order, Shipment


class OrderNotFound(LookupError):
    pass


class CancelRefused(Exception):
    """The order cannot be cancelled any more; the message says why."""


async def cancel(ctx: Context, order_id: str, reason: str, handling_days: int) -> bool:
    """True: cancelled now; False: it already was (nothing done)."""
    session = ctx.session
    order = await locked_order(session, order_id)
    if order is None:
        raise OrderNotFound(order_id)
    if goods_left(order.progress):
        raise CancelRefused(await _refusal(ctx, order))
    if order.cancelled_at is not None:
        return False
    now = datetime.now(timezone.utc)
    order.cancelled_at = now
    order.cancel_reason = reason or None
    await refresh(session, order, await order_lines(session, order_id), handling_days)
    event = OrderCancelled(order_id=order_id, reason=reason, cancelled_at=now)
    envelope = await ctx.emit(event, correlation_id=order_id)
    add_timeline(session, order, envelope, describe(event, order_id))
    await session.flush()
    return True


async def _refusal(ctx: Context, order: Order) -> str:
    first = await ctx.session.scalar(
        select(func.min(Shipment.shipped_at)).where(Shipment.order_id == order.order_id)
    )
    # Delivered can arrive before its Shipped: then only the status tells goods left.
    when = f"shipped on {first.date().isoformat()}" if first else f"already {order.status.replace('_', ' ')}"
    text = f"order {order.order_no} was {when}; cancel refused"
    if order.cancelled_at is not None:
        text += f" (the cancellation requested on {order.cancelled_at.date().isoformat()} came too late)"
    return text
