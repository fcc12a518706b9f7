"""Events published by the channels service (shop connectors)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from contracts.events.base import Customer, Event, OrderLine, ShopDetails


class ChannelOrderReceived(Event):
    """A shop order, already mapped to our SKUs and paid (or not required to be). `order_id`
    is derived from (channel, shop, the platform's order id), so a webhook delivered twice
    yields the same order id and the orders service places it once, while two shops with the
    same order number are two orders."""

    event_type = "ChannelOrderReceived"
    key_field = "order_id"

    order_id: str
    channel: str
    shop: str
    external_order_id: str
    customer: Customer
    lines: list[OrderLine] = Field(min_length=1)
    wanted_date: date | None = None
    received_at: datetime
    # Added in 1.1 (optional): what the shop knew beyond lines and buyer.
    details: ShopDetails | None = None


class ChannelOrderCancelled(Event):
    """The shop cancelled an order we had accepted. The orders service runs the same
    cancellation as an operator's; if goods already left, it records and flags it instead."""

    event_type = "ChannelOrderCancelled"
    key_field = "order_id"

    order_id: str
    channel: str
    shop: str
    external_order_id: str
    reason: str = Field(default="", max_length=500)
    # The platform's own time of the cancellation (its updated_at), not ours.
    cancelled_at: datetime
