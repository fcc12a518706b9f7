"""Event handlers of the orders service. Each runs in the consumer's transaction (inbox row
already claimed) and records the fact against every order it concerns."""

from __future__ import annotations

import logging
from decimal import Decimal

from contracts import events as ev
from eventkit import Context, DomainRejection, Handler
from orders.catalog import held_for_review, on_item_defined
from orders.domain.wording import describe
from orders.facts import record
from orders.holds import orders_of
from orders.cancellation import cancel_from_shop
from orders.settings import DEFAULT_MAX_LINE_QUANTITY
from orders.placement import OrderDraft, place

log = logging.getLogger("orders.handlers")


class OrderHandlers:
    """Bound methods are the handlers; they share the settings they need."""

    def __init__(self, handling_days: int, max_line_quantity: Decimal = DEFAULT_MAX_LINE_QUANTITY):
        self.handling_days = handling_days
        self.max_line_quantity = max_line_quantity

    def handlers(self) -> dict[type[ev.Event], Handler]:
        return {
            ev.ChannelOrderReceived: self.on_channel_order_received,
            ev.ItemDefined: on_item_defined,
            ev.ChannelOrderCancelled: self.on_channel_order_cancelled,
            ev.MaterialsReserved: self.on_order_fact,
            ev.MaterialsShort: self.on_order_fact,
            ev.OrderAllocated: self.on_order_fact,
            ev.Shipped: self.on_order_fact,
            ev.Delivered: self.on_order_fact,
            ev.BatchScheduled: self.on_batch_fact,
            ev.BatchStarted: self.on_batch_fact,
            ev.BatchCompleted: self.on_batch_fact,
            # Undo steps of a cancellation (orders produces OrderCancelled, never consumes it).
            ev.StockReleased: self.on_order_fact,
            ev.ShipmentWithdrawn: self.on_order_fact,
            ev.BatchCancelled: self.on_batch_fact,
            # Holds and recalls (inventory): why, on the timelines of the orders they touch.
            ev.LotHeld: self.on_lot_fact,
            ev.LotReleased: self.on_lot_fact,
            ev.RecallOpened: self.on_lot_fact,
        }

    async def on_channel_order_received(self, ctx: Context, event: ev.ChannelOrderReceived) -> None:
        line_nos = [line.line_no for line in event.lines]
        if len(set(line_nos)) != len(line_nos):
            raise DomainRejection(f"channel order {event.external_order_id}: duplicate line numbers {line_nos}")
        if await held_for_review(ctx, event, self.max_line_quantity):
            return  # unknown SKU, wrong unit...: on the review list, not placed
        draft = OrderDraft(
            order_id=event.order_id,
            customer=event.customer,
            lines=list(event.lines),
            placed_at=event.received_at,
            wanted_date=event.wanted_date,
            channel=event.channel,
            channel_order_ref=event.external_order_id,
            channel_shop=event.shop,
            details=event.details,
            received=(ctx.envelope, describe(event, event.order_id)),
        )
        result = await place(ctx, draft, self.handling_days)
        if not result.created:
            # The channel's order id is derived from its reference: a known id is this order,
            # whatever became of it (a cancelled order stays cancelled, nothing is re-placed).
            log.info("channel order %s (%s) is already order %s", event.external_order_id, event.channel, event.order_id)

    async def on_channel_order_cancelled(self, ctx: Context, event: ev.ChannelOrderCancelled) -> None:
        """The shop cancelled: the same cancellation as an operator's. Goods already left:
        recorded on the timeline and flagged for a person, not applied."""
        await cancel_from_shop(ctx, ctx.envelope, event, self.handling_days)

    async def on_order_fact(self, ctx: Context, event: ev.Event) -> None:
        await record(ctx, ctx.envelope, event, event.order_id, self.handling_days)

    async def on_lot_fact(self, ctx: Context, event: ev.LotHeld | ev.LotReleased | ev.RecallOpened) -> None:
        for order_id in orders_of(event):
            await record(ctx, ctx.envelope, event, order_id, self.handling_days)

    async def on_batch_fact(self, ctx: Context, event: ev.BatchScheduled | ev.BatchStarted | ev.BatchCompleted
                            | ev.BatchCancelled) -> None:
        # A batch covers several orders (or none: made to stock).
        for order_id in sorted({c.order_id for c in event.covers}):
            await record(ctx, ctx.envelope, event, order_id, self.handling_days)
