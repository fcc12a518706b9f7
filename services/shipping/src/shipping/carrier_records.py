"""SQLModel mappings of migration 0007: labels bought from a carrier API, the carrier's
webhook events already handled, and the parcel's structured ship-to."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, LargeBinary, Numeric
from sqlmodel import Field, SQLModel


def _ts() -> Column:
    return Column(DateTime(timezone=True), nullable=True)


class CarrierLabel(SQLModel, table=True):
    """A shipment's label at a carrier API: created there first (provider_shipment_id), bought
    after (bought_at, tracking_no, the label file)."""

    __tablename__ = "carrier_labels"

    shipment_id: uuid.UUID = Field(primary_key=True)
    provider: str
    provider_shipment_id: str
    rate_id: str | None = None
    carrier: str | None = None  # canonical (domain/carriers.py)
    service: str | None = None
    rate: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    currency: str | None = None
    tracking_no: str | None = None
    tracker_id: str | None = None
    public_url: str | None = None
    tracking_status: str | None = None
    label_url: str | None = None
    label_file: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    label_content_type: str | None = None
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    bought_at: datetime | None = Field(default=None, sa_column=_ts())


class CarrierEvent(SQLModel, table=True):
    __tablename__ = "carrier_events"

    provider: str = Field(primary_key=True)
    event_id: str = Field(primary_key=True)
    description: str | None = None
    outcome: str
    received_at: datetime | None = Field(default=None, sa_column=_ts())


class ShipToAddress(SQLModel, table=True):
    __tablename__ = "ship_to_addresses"

    order_id: str = Field(primary_key=True)
    name: str | None = None
    company: str | None = None
    street1: str | None = None
    street2: str | None = None
    city: str | None = None
    zip: str | None = None
    state: str | None = None
    country: str | None = None
    phone: str | None = None
