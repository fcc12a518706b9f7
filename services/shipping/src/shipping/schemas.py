"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field, field_validator

from shipping.domain.carriers import CARRIERS, TRACKING_NO_PATTERN, canonical_carrier


class ShipRequest(BaseModel):
    carrier: str = Field(description=f"one of {', '.join(CARRIERS)} (case-insensitive)")
    tracking_no: str = Field(description="the carrier's tracking number: letters, digits, dashes (4-40)")

    @field_validator("carrier")
    @classmethod
    def _known_carrier(cls, v: str) -> str:
        canonical = canonical_carrier(v)
        if canonical is None:
            raise ValueError(f"unknown carrier {v!r}; known carriers: {', '.join(CARRIERS)}")
        return canonical

    @field_validator("tracking_no", mode="before")
    @classmethod
    def _strip(cls, v: object) -> object:
        return v.strip() if isinstance(v, str) else v

    @field_validator("tracking_no")
    @classmethod
    def _tracking_shape(cls, v: str) -> str:
        if not re.match(TRACKING_NO_PATTERN, v):
            raise ValueError("tracking_no must be 4-40 letters, digits or dashes, starting with a letter or digit")
        return v


class LineOut(BaseModel):
    line_no: int
    sku: str
    lot_id: str
    lot_no: str
    quantity: Decimal
    unit: str
    allocation_id: str
    expiry_date: date | None = None


class ShipToOut(BaseModel):
    """Where the parcel goes (a gift: the recipient first in the address) and whom we mail."""

    name: str | None = None  # the buyer: whom we mail
    # Whom the parcel is for when the shop gave a ship-to (a gift: not the buyer); the address
    # then starts with it. None for an address typed at the gateway (`name` is the addressee).
    addressee: str | None = None
    email: str | None = None
    address: str | None = None
    phone: str | None = None
    country: str | None = None


class ShipmentOut(BaseModel):
    shipment_id: uuid.UUID
    order_id: str
    order_no: str | None = None  # None until the order's OrderPlaced arrived here
    seq: int = 1
    status: str
    complete: bool | None = None
    carrier: str | None = None
    tracking_no: str | None = None
    prepared_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    lines: list[LineOut] = []
    ship_to: ShipToOut | None = None
    # Status `blocked`: prepared but carrying held lots; why, one phrase per lot.
    blocked_reasons: list[str] = []


class NotificationOut(BaseModel):
    notification_id: uuid.UUID
    order_id: str
    order_no: str | None = None  # the number people use, once the order is known here
    shipment_id: uuid.UUID | None = None  # None for a delay notice (about the order)
    kind: str
    to: str | None
    subject: str
    body: str
    status: str
    attempts: int
    last_error: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None


class CarrierOut(BaseModel):
    name: str
