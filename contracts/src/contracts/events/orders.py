"""Events published by the orders service."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from contracts.events.base import Customer, Event, OrderLine, ShopDetails


class OrderPlaced(Event):
    """An order was accepted (from an operator or a channel) and its saga starts."""

    event_type = "OrderPlaced"
    key_field = "order_id"

    order_id: str
    order_no: str
    customer: Customer
    lines: list[OrderLine] = Field(min_length=1)
    wanted_date: date | None = None
    # Higher first when orders compete for the same stock or material.
    priority: int = 0
    channel: str = "gateway"
    channel_order_ref: str | None = None
    placed_at: datetime
    # Added in 1.1 (optional): the shop the order came from (with channel and
    # channel_order_ref, the shop order's identity) and what the shop knew about it.
    channel_shop: str | None = None
    details: ShopDetails | None = None


class OrderCancelled(Event):
    """The order was cancelled before shipment; downstream work must be undone."""

    event_type = "OrderCancelled"
    key_field = "order_id"

    order_id: str
    reason: str = ""
    cancelled_at: datetime
    # The order's number, for people reading what the cancellation undid ("order SO-000123
    # cancelled"); absent from producers older than it.
    order_no: str | None = None


class PromiseChanged(Event):
    """The order's expected date (today's best estimate of when it ships) moved, because its
    supply changed: a shortage, a yield shortfall, a receipt, a batch scheduled or cancelled.
    `promised_date` is what the customer was told at placement and never changes; the
    customer is told when `expected_date` slips past it."""

    event_type = "PromiseChanged"
    key_field = "order_id"

    order_id: str
    order_no: str = ""
    promised_date: date | None = None
    # None: the order cannot be dated any more (e.g. it waits for a recipe).
    expected_date: date | None = None
    previous_expected_date: date | None = None
    reason: str = ""
