"""SQLModel mappings of the tables created by migrations/0001_init.sql."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, DateTime, LargeBinary, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts() -> Column:
    return Column(DateTime(timezone=True))


class Connector(SQLModel, table=True):
    __tablename__ = "connectors"

    channel: str = Field(primary_key=True)
    shop: str = Field(primary_key=True)
    admin_url: str | None = None
    webhook_secret: str | None = None
    admin_token: str | None = None
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class SkuMapEntry(SQLModel, table=True):
    __tablename__ = "sku_map"

    channel: str = Field(primary_key=True)
    shop: str = Field(primary_key=True)
    external_sku: str = Field(primary_key=True)
    sku: str
    unit: str = "pcs"
    per_item: Decimal = Field(default=Decimal(1), sa_column=Column(Numeric(18, 6)))
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class Webhook(SQLModel, table=True):
    __tablename__ = "webhooks"

    webhook_id: uuid.UUID = Field(primary_key=True)
    channel: str
    shop: str
    external_id: str
    order_id: str
    status: str
    reason: str | None = None
    raw_body: bytes = Field(sa_column=Column(LargeBinary))
    lines: Any = Field(default=None, sa_column=Column(JSONB))
    deliveries: int = 1
    received_at: datetime | None = Field(default=None, sa_column=_ts())
    accepted_at: datetime | None = Field(default=None, sa_column=_ts())


class Fulfillment(SQLModel, table=True):
    __tablename__ = "fulfillments"

    fulfillment_id: uuid.UUID = Field(primary_key=True)
    shipment_id: str
    order_id: str
    channel: str
    shop: str
    external_id: str
    tracking_number: str
    tracking_company: str
    line_items: Any = Field(default=None, sa_column=Column(JSONB))
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts())
    last_error: str | None = None
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    synced_at: datetime | None = Field(default=None, sa_column=_ts())
