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

from contracts.envelope import Envelope
from contracts.events import ChannelOrderCancelled, OrderCancelled
from eventkit import Context
from orders.domain.status import goods_left
from orders.domain.wording import describe
from orders.domain.numbers import fact_hash
from orders.facts import lock_order_id, park, refresh, seen, timeline_entry
from orders.order_rows import OrderRow, lock_order, read_facts, save_order
from orders.tables import Shipment


class OrderNotFound(LookupError):
    pass


class CancelRefused(Exception):
    """The order cannot be cancelled any more; the message says why."""


async def cancel(ctx: Context, order_id: str, reason: str, handling_days: int) -> bool:
    """True: cancelled now; False: it already was (nothing done)."""
    session = ctx.session
    order = await lock_order(session, order_id)
    if order is None:
        raise OrderNotFound(order_id)
    if goods_left(order.progress):
        raise CancelRefused(await _refusal(ctx, order))
    if order.cancelled_at is not None:
        return False
    now = datetime.now(timezone.utc)
    order.cancelled_at = now
    order.cancel_reason = reason or None
    _, facts = await read_facts(session, order)
    refresh(facts, handling_days)
    event = OrderCancelled(order_id=order_id, order_no=order.order_no, reason=reason, cancelled_at=now)
    envelope = await ctx.emit(event, correlation_id=order_id)
    facts.add_timeline(timeline_entry(order, envelope, describe(event, order_id)))
    await facts.save()
    return True


async def _refusal(ctx: Context, order: OrderRow) -> str:
    first = await ctx.session.scalar(
        select(func.min(Shipment.shipped_at)).where(Shipment.order_id == order.order_id)
    )
    # Delivered can arrive before its Shipped: then only the status tells goods left.
    when = f"shipped on {first.date().isoformat()}" if first else f"already {order.status.replace('_', ' ')}"
    text = f"order {order.order_no} was {when}; cancel refused"
    if order.cancelled_at is not None:
        text += f" (the cancellation requested on {order.cancelled_at.date().isoformat()} came too late)"
    return text


async def cancel_from_shop(ctx: Context, envelope: Envelope, event: ChannelOrderCancelled, handling_days: int) -> None:
    """The shop cancelled the order: the operator's cancellation, caused by the shop's event.

    The cancel travels on its own topic and may overtake the order's creation: then it is
    parked like any early event and applied when the order is placed (`placement`). Goods
    already left: nothing is undone; the order carries an `attention` note for a person
    (refund, return) and the timeline says why."""
    session = ctx.session
    order = await lock_order(session, event.order_id)
    if order is None:
        await lock_order_id(session, event.order_id)
        order = await lock_order(session, event.order_id)
        if order is None:
            await park(session, event.order_id, envelope)
            return
    if await seen(session, event.order_id, envelope):
        return
    where = f"{event.channel} shop {event.shop}"
    day = event.cancelled_at.date().isoformat()
    if goods_left(order.progress):
        order.attention = (f"cancelled at {where} on {day} after goods had left; not applied here: "
                           f"settle the refund or return with the customer")
        detail = f"cancelled at {where} after shipment: not applied, flagged for an operator"
    elif order.cancelled_at is not None:
        detail = f"cancelled at {where} too (already cancelled here)"
    else:
        detail = f"cancelled at {where} on {day}" + (f": {event.reason}" if event.reason else "")
    await save_order(session, order, [timeline_entry(order, envelope, detail, fact_hash(envelope.event_type, envelope.data))])
    if not goods_left(order.progress) and order.cancelled_at is None:
        await cancel(ctx, event.order_id, f"cancelled at {where}" + (f": {event.reason}" if event.reason else ""),
                     handling_days)
