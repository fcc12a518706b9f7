"""SQLModel table models of the orders database (DDL: migrations/0001_init.sql).

They live in their own registry so that other services' models imported into the same
process (end-to-end tests) never clash with these table names."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, DateTime, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class OrdersModel(SQLModel, registry=registry()):
    pass


def _ts(**kw: Any) -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), **kw))


def _num(**kw: Any) -> Any:
    return Field(sa_column=Column(Numeric(18, 6), **kw))


class Order(OrdersModel, table=True):
    __tablename__ = "orders"

    order_id: str = Field(primary_key=True)
    order_no: str
    channel: str = "gateway"
    channel_order_ref: str | None = None
    channel_shop: str | None = None
    shop_details: dict | None = Field(default=None, sa_column=Column(JSONB))
    attention: str | None = None
    customer: dict = Field(sa_column=Column(JSONB, nullable=False))
    customer_name: str
    customer_email: str
    wanted_date: date | None = None
    priority: int = 0
    placed_at: datetime = _ts(nullable=False)
    status: str = "received"
    progress: str = "received"
    fully_allocated_on: date | None = None
    promised_date: date | None = None
    expected_date: date | None = None
    content_hash: str
    cancelled_at: datetime | None = _ts()
    cancel_reason: str | None = None
    updated_at: datetime | None = _ts(nullable=False, server_default="now()")


class OrderLine(OrdersModel, table=True):
    __tablename__ = "order_lines"

    order_id: str = Field(primary_key=True)
    line_no: int = Field(primary_key=True)
    sku: str
    quantity: Decimal = _num(nullable=False)
    unit: str
    shortages: list | None = Field(default=None, sa_column=Column(JSONB))
    short_reason: str | None = None
    allocated_quantity: Decimal = _num(nullable=False, default=Decimal(0))
    allocated_unit: str | None = None
    fully_allocated: bool = False
    waiting_date: date | None = None
    short_code: str | None = None
    short_at: datetime | None = _ts()
    allocated_at: datetime | None = _ts()


class LinePlan(OrdersModel, table=True):
    __tablename__ = "line_plans"

    order_id: str = Field(primary_key=True)
    line_no: int = Field(primary_key=True)
    plan_id: str = Field(primary_key=True)
    batch_no: str | None = None
    quantity: Decimal | None = _num()
    unit: str | None = None
    ready_estimate: date | None = None
    planned_end: date | None = None
    schedule_seen_at: datetime | None = _ts()
    reserved_at: datetime | None = _ts()
    started_at: datetime | None = _ts()
    completed_at: datetime | None = _ts()
    cancelled_at: datetime | None = _ts()


class Shipment(OrdersModel, table=True):
    __tablename__ = "shipments"

    order_id: str = Field(primary_key=True)
    shipment_id: str = Field(primary_key=True)
    carrier: str
    tracking_no: str
    complete: bool
    shipped_at: datetime = _ts(nullable=False)
    delivered_at: datetime | None = _ts()


class TimelineEntry(OrdersModel, table=True):
    __tablename__ = "timeline"

    id: int | None = Field(default=None, primary_key=True)
    order_id: str
    at: datetime = _ts(nullable=False)
    status: str
    event_type: str
    event_id: uuid.UUID
    producer: str
    detail: str
    fact_hash: str
    fact_kind: str  # which history a repeat is compared with (orders.domain.numbers.fact_kind)


class ParkedEvent(OrdersModel, table=True):
    __tablename__ = "parked_events"

    order_id: str = Field(primary_key=True)
    event_id: uuid.UUID = Field(primary_key=True)
    event_type: str
    occurred_at: datetime = _ts(nullable=False)
    envelope: dict = Field(sa_column=Column(JSONB, nullable=False))
