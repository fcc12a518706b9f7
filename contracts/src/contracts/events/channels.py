"""Events published by the channels service (shop connectors)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from contracts.events.base import Customer, Event, OrderLine


class ChannelOrderReceived(Event):
    """A shop order, already mapped to our SKUs. `order_id` is derived from the channel and
    its order reference, so a webhook delivered twice yields the same order id and the
    orders service places it once."""

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
