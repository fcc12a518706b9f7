"""Events published by the shipping service."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from contracts.events.base import Event, LotQuantity


class ShippedLine(LotQuantity):
    line_no: int = Field(ge=1)
    allocation_id: str


class Shipped(Event):
    """A shipment left with a carrier. Stock of the listed lots is deducted by inventory."""

    event_type = "Shipped"
    key_field = "order_id"

    order_id: str
    shipment_id: str
    carrier: str
    tracking_no: str
    lines: list[ShippedLine] = Field(min_length=1)
    # True when this shipment completes the order (no backorder remains).
    complete: bool = True
    shipped_at: datetime
    # Added in 1.1 (optional): the carrier's public tracking page for this parcel.
    tracking_url: str | None = None


class Delivered(Event):
    event_type = "Delivered"
    key_field = "order_id"

    order_id: str
    shipment_id: str
    delivered_at: datetime


class ShipmentWithdrawn(Event):
    """A prepared (not yet shipped) shipment was withdrawn because its order was cancelled."""

    event_type = "ShipmentWithdrawn"
    key_field = "order_id"

    order_id: str
    shipment_id: str
    reason: str = ""
    withdrawn_at: datetime
