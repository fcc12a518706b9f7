"""Response shapes, for /docs. The services own their answers; the gateway passes them
through (listed as `responses=` so a new field in a service never breaks the gateway), and
validates only the views it composes itself, whose service parts stay open (extra allowed)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class TimelineEntry(Open):
    at: datetime | None = None
    status: str | None = None
    event_type: str | None = None
    event_id: str | None = None
    producer: str | None = None
    detail: Any = None


class Order(Open):
    order_id: str | None = None
    order_no: str | None = None
    status: str | None = None
    customer: dict[str, Any] | None = None
    lines: list[dict[str, Any]] | None = None
    wanted_date: date | None = None
    promised_date: date | None = None
    timeline: list[TimelineEntry] | None = None


class OrderView(BaseModel):
    order: Order
    allocations: list[dict[str, Any]] | Any
    batches: list[dict[str, Any]] | Any
    shipments: list[dict[str, Any]] | Any
    unavailable: dict[str, Any] = {}


class BackwardTrace(BaseModel):
    order_id: str
    trace: Any
    shipments: Any


class RecallEntry(BaseModel):
    order_id: str
    order_no: str | None = None
    status: str | None = None
    customer: dict[str, Any] | None = None


class ForwardTrace(BaseModel):
    lot_id: str
    trace: Any
    recall: list[RecallEntry]


class Item(Open):
    sku: str | None = None
    name: str | None = None
    kind: str | None = None
    base_unit: str | None = None


class Lot(Open):
    lot_id: str | None = None
    sku: str | None = None
    lot_no: str | None = None
    supplier_lot_no: str | None = None
    expiry_date: date | None = None
    on_hand: Decimal | None = None


class StockLine(Open):
    sku: str | None = None
    on_hand: Decimal | None = None
    reserved: Decimal | None = None
    allocated: Decimal | None = None
    available: Decimal | None = None


class Recipe(Open):
    sku: str | None = None
    name: str | None = None
    recipe_version: int | None = None


class Batch(Open):
    batch_id: str | None = None
    batch_no: str | None = None
    sku: str | None = None
    status: str | None = None
    planned_quantity: Decimal | None = None


class Shipment(Open):
    shipment_id: str | None = None
    order_id: str | None = None
    status: str | None = None
    carrier: str | None = None
    tracking_no: str | None = None
