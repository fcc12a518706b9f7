"""Placing an order (operator POST or a channel's order): idempotent on the order id.

A new order gets the next `SO-nnnnnn` number, its lines, status `received`, an `OrderPlaced`
in the outbox and its first timeline entries, all in the caller's transaction; events that
arrived about it earlier (parked) are then applied."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.events import OrderPlaced
from contracts.topics import parse_body
from contracts.events.base import Customer, OrderLine as LineSpec, ShopDetails
from eventkit import Context
from orders.domain.numbers import fingerprint, order_no
from orders.domain.status import OrderStatus
from orders.domain.wording import describe
from orders.cancellation import cancel_from_shop
from orders.facts import lock_order_id, replay_parked, timeline_entry
from orders.order_rows import OrderRow, add_timeline, lock_order

_NEXT_NO = text("SELECT nextval('order_no_seq')")
# JSONB as the ORM wrote it (json.dumps; None: JSON null). ON CONFLICT: see `place`.
_ADD_ORDER = text(
    "INSERT INTO orders (order_id, order_no, channel, channel_order_ref, channel_shop, shop_details, customer, "
    "customer_name, customer_email, wanted_date, priority, placed_at, status, progress, content_hash) "
    "VALUES (:order_id, :order_no, :channel, :channel_order_ref, :channel_shop, CAST(:shop_details AS jsonb), "
    "CAST(:customer AS jsonb), :customer_name, :customer_email, :wanted_date, :priority, :placed_at, :status, "
    ":progress, :content_hash) ON CONFLICT DO NOTHING RETURNING order_id"
)
_ADD_LINE = text(
    "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit, shortages) "
    "VALUES (:order_id, :line_no, :sku, :quantity, :unit, CAST('null' AS jsonb))"
)


@dataclass(frozen=True)
class OrderDraft:
    order_id: str
    customer: Customer
    lines: list[LineSpec]
    placed_at: datetime
    wanted_date: date | None = None
    priority: int = 0
    channel: str = "gateway"
    channel_order_ref: str | None = None
    channel_shop: str | None = None
    details: ShopDetails | None = None
    # Channel orders: the ChannelOrderReceived being handled, for the timeline.
    received: tuple[Envelope, str] | None = field(default=None, compare=False)

    def content_hash(self) -> str:
        """What must match for a repeated POST with the same order id to be "the same order"."""
        return fingerprint(
            {
                "customer": self.customer.model_dump(mode="json"),
                "lines": [[ln.line_no, ln.sku, ln.quantity, ln.unit.value] for ln in self.lines],
                "wanted_date": self.wanted_date,
                "priority": self.priority,
                "channel": self.channel,
            }
        )


@dataclass(frozen=True)
class Placed:
    order_id: str
    created: bool
    # False when the order id exists with other content (a client reusing an id).
    same_content: bool = True


async def place(ctx: Context, draft: OrderDraft, handling_days: int) -> Placed:
    session = ctx.session
    await lock_order_id(session, draft.order_id)
    existing = await lock_order(session, draft.order_id)
    if existing is not None:
        return Placed(existing.order_id, created=False, same_content=existing.content_hash == draft.content_hash())

    n = (await session.execute(_NEXT_NO)).scalar_one()
    received = OrderStatus.received.value
    order = OrderRow(order_id=draft.order_id, order_no=order_no(n), status=received, progress=received,
                     fully_allocated_on=None, promised_date=None, expected_date=None,
                     content_hash=draft.content_hash(), cancelled_at=None, cancel_reason=None, attention=None)
    # The id lock makes a concurrent duplicate impossible; ON CONFLICT is the belt to it.
    inserted = await session.execute(_ADD_ORDER, {
        "order_id": order.order_id,
        "order_no": order.order_no,
        "channel": draft.channel,
        "channel_order_ref": draft.channel_order_ref,
        "channel_shop": draft.channel_shop,
        "shop_details": json.dumps(draft.details.model_dump(mode="json", exclude_none=True) if draft.details else None),
        "customer": json.dumps(draft.customer.model_dump(mode="json")),
        "customer_name": draft.customer.name,
        "customer_email": draft.customer.email,
        "wanted_date": draft.wanted_date,
        "priority": draft.priority,
        "placed_at": draft.placed_at,
        "status": order.status,
        "progress": order.progress,
        "content_hash": order.content_hash,
    })
    if inserted.first() is None:
        return Placed(draft.order_id, created=False, same_content=False)
    await session.execute(_ADD_LINE, [
        {"order_id": order.order_id, "line_no": spec.line_no, "sku": spec.sku, "quantity": spec.quantity,
         "unit": spec.unit.value} for spec in draft.lines])
    placed = OrderPlaced(
        order_id=order.order_id,
        order_no=order.order_no,
        customer=draft.customer,
        lines=draft.lines,
        wanted_date=draft.wanted_date,
        priority=draft.priority,
        channel=draft.channel,
        channel_order_ref=draft.channel_order_ref,
        placed_at=draft.placed_at,
        channel_shop=draft.channel_shop,
        details=draft.details,
    )
    envelope = await ctx.emit(placed, correlation_id=order.order_id)
    entries = [timeline_entry(order, *draft.received)] if draft.received is not None else []
    await add_timeline(session, [*entries, timeline_entry(order, envelope, describe(placed, order.order_id))])
    for early in await replay_parked(ctx, order.order_id, handling_days):
        # A shop's cancellation that overtook the order: the order is cancelled at once.
        await cancel_from_shop(ctx, early, parse_body(early), handling_days)
    return Placed(order.order_id, created=True)


def new_order_id() -> str:
    return str(uuid.uuid4())
