"""Placing an order (operator POST or a channel's order): idempotent on the order id.

A new order gets the next `SO-nnnnnn` number, its lines, status `received`, an `OrderPlaced`
in the outbox and its first timeline entries, all in the caller's transaction; events that
arrived about it earlier (parked) are then applied."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from contracts.envelope import Envelope
from contracts.events import OrderPlaced
from contracts.topics import parse_body
from contracts.events.base import Customer, OrderLine as LineSpec, ShopDetails
from eventkit import Context
from orders.domain.numbers import fingerprint, order_no
from orders.domain.status import OrderStatus
from orders.domain.wording import describe
from orders.cancellation import cancel_from_shop
from orders.facts import add_timeline, lock_order_id, locked_order, replay_parked
from orders.tables import Order, OrderLine


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
    existing = await locked_order(session, draft.order_id)
    if existing is not None:
        return Placed(existing.order_id, created=False, same_content=existing.content_hash == draft.content_hash())

    n = (await session.execute(text("SELECT nextval('order_no_seq')"))).scalar_one()
    order = Order(
        order_id=draft.order_id,
        order_no=order_no(n),
        channel=draft.channel,
        channel_order_ref=draft.channel_order_ref,
        channel_shop=draft.channel_shop,
        shop_details=draft.details.model_dump(mode="json", exclude_none=True) if draft.details else None,
        customer=draft.customer.model_dump(mode="json"),
        customer_name=draft.customer.name,
        customer_email=draft.customer.email,
        wanted_date=draft.wanted_date,
        priority=draft.priority,
        placed_at=draft.placed_at,
        status=OrderStatus.received.value,
        progress=OrderStatus.received.value,
        content_hash=draft.content_hash(),
    )
    # The id lock makes a concurrent duplicate impossible; ON CONFLICT is the belt to it.
    values = order.model_dump(exclude={"updated_at"})
    inserted = await session.execute(insert(Order).values(**values).on_conflict_do_nothing().returning(Order.order_id))
    if inserted.first() is None:
        return Placed(draft.order_id, created=False, same_content=False)
    for spec in draft.lines:
        session.add(OrderLine(order_id=order.order_id, line_no=spec.line_no, sku=spec.sku,
                              quantity=spec.quantity, unit=spec.unit.value))
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
    order = await locked_order(session, order.order_id)
    if draft.received is not None:
        add_timeline(session, order, *draft.received)
    add_timeline(session, order, envelope, describe(placed, order.order_id))
    await session.flush()
    for early in await replay_parked(ctx, order.order_id, handling_days):
        # A shop's cancellation that overtook the order: the order is cancelled at once.
        await cancel_from_shop(ctx, early, parse_body(early), handling_days)
    return Placed(order.order_id, created=True)


def new_order_id() -> str:
    return str(uuid.uuid4())
