"""SQLModel mappings of the tables created by migrations/*.sql."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts(nullable: bool = True) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


class OrderRecord(SQLModel, table=True):
    """What shipping knows about an order: its recipient, whether it was cancelled, and
    whether inventory has reported it completely allocated (nothing outstanding)."""

    __tablename__ = "orders"

    order_id: str = Field(primary_key=True)
    order_no: str | None = None
    recipient_name: str | None = None
    recipient_email: str | None = None
    recipient_address: str | None = None
    recipient_phone: str | None = None
    recipient_country: str | None = None
    cancelled_at: datetime | None = Field(default=None, sa_column=_ts())
    allocation_complete: bool = False
    updated_at: datetime | None = Field(default=None, sa_column=_ts())
    # For the customer's mails: the shop's language tag, OrderPlaced's lines (sku, quantity,
    # unit), the first promised date and the latest expected date (PromiseChanged).
    language: str | None = None
    lines: list | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    promised_date: date | None = None
    expected_date: date | None = None


class Shipment(SQLModel, table=True):
    __tablename__ = "shipments"

    shipment_id: uuid.UUID = Field(primary_key=True)
    order_id: str
    seq: int = 1  # 1, 2, ... per order
    status: str
    complete: bool | None = None  # set when it leaves: did it complete the order?
    carrier: str | None = None
    tracking_no: str | None = None
    prepared_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())
    shipped_at: datetime | None = Field(default=None, sa_column=_ts())
    delivered_at: datetime | None = Field(default=None, sa_column=_ts())
    cancelled_at: datetime | None = Field(default=None, sa_column=_ts())


class ShipmentLine(SQLModel, table=True):
    __tablename__ = "shipment_lines"

    shipment_id: uuid.UUID = Field(primary_key=True)
    allocation_id: str = Field(primary_key=True)
    line_no: int
    sku: str
    lot_id: str
    lot_no: str
    quantity: Decimal = Field(sa_column=Column(Numeric(18, 6), nullable=False))
    unit: str
    expiry_date: date | None = None


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"

    notification_id: uuid.UUID = Field(primary_key=True)
    order_id: str
    shipment_id: uuid.UUID | None = None  # None: about the order (a delay notice)
    kind: str = "shipped"  # confirmation | dated | shipped | delivered | delayed | recall | status_link | purchase_order
    # A delay notice: once per order and new expected date (dedup_key), with its dates.
    dedup_key: str | None = None
    promised_date: date | None = None
    expected_date: date | None = None
    to_addr: str | None = None
    subject: str
    body: str
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts())
    last_error: str | None = None
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts())
    # The raw status-link token of a mail that carries one, until it is sent.
    secret: str | None = None


class StatusLink(SQLModel, table=True):
    """A customer's private link to the order's status page: only the token's hash."""

    __tablename__ = "status_links"

    link_id: uuid.UUID = Field(primary_key=True)
    order_id: str
    token_hash: str
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    revoked_at: datetime | None = Field(default=None, sa_column=_ts())


class HeldLot(SQLModel, table=True):
    """Inventory's holds as shipping needs them: a prepared shipment carrying a held lot is
    blocked. The highest hold_seq wins (LotHeld and LotReleased travel on two topics)."""

    __tablename__ = "held_lots"

    lot_id: str = Field(primary_key=True)
    lot_no: str
    sku: str
    held: bool
    reason: str = ""
    recall_id: str | None = None
    hold_seq: int
    updated_at: datetime | None = Field(default=None, sa_column=_ts())
