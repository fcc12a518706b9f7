"""Response shapes, for /docs. The services own their answers; the gateway passes them
through (listed as `responses=` so that a new field in a service never breaks the gateway)
and validates only the views it composes itself, whose service parts stay open: every
field optional, extra fields kept."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# --- orders service -------------------------------------------------------------------------
class TimelineEntry(Open):
    at: datetime | None = None
    status: str | None = None
    event_type: str | None = None
    event_id: str | None = None
    producer: str | None = None
    detail: Any = None


class OrderSummary(Open):
    order_id: str | None = None
    order_no: str | None = None
    status: str | None = None
    channel: str | None = None
    customer_name: str | None = None
    customer_email: str | None = None
    placed_at: datetime | None = None
    wanted_date: date | None = None
    promised_date: date | None = None
    priority: int | None = None


class OrderPage(Open):
    items: list[OrderSummary] = []
    total: int | None = None
    limit: int | None = None
    offset: int | None = None


class Order(OrderSummary):
    customer: dict[str, Any] | None = None
    lines: list[dict[str, Any]] | None = None
    shortages: list[dict[str, Any]] | None = None
    shipments: list[dict[str, Any]] | None = None
    timeline: list[TimelineEntry] | None = None


# --- inventory service ----------------------------------------------------------------------
class Item(Open):
    sku: str | None = None
    name: str | None = None
    kind: str | None = None
    base_unit: str | None = None
    shelf_life_days: int | None = None


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


# --- production service ---------------------------------------------------------------------
class Recipe(Open):
    sku: str | None = None
    recipe_version: int | None = None
    name: str | None = None
    output_unit: str | None = None
    ingredients: list[dict[str, Any]] | None = None
    batch_min: Decimal | None = None
    batch_multiple: Decimal | None = None
    expected_yield: Decimal | None = None
    lead_time_days: int | None = None
    shelf_life_days: int | None = None


class Batch(Open):
    batch_id: str | None = None
    batch_no: str | None = None
    sku: str | None = None
    status: str | None = None
    planned_quantity: Decimal | None = None
    unit: str | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    output_quantity: Decimal | None = None
    covers: list[dict[str, Any]] | None = None


# --- shipping service -----------------------------------------------------------------------
class Shipment(Open):
    shipment_id: str | None = None
    order_id: str | None = None
    status: str | None = None
    carrier: str | None = None
    tracking_no: str | None = None
    lines: list[dict[str, Any]] | None = None


# --- composed by the gateway ----------------------------------------------------------------
class OrderView(BaseModel):
    order: Order
    allocations: list[dict[str, Any]]
    supply: list[dict[str, Any]]
    batches: list[Batch]
    shipments: list[Shipment]
    # From a shop: {shop_order_id, channel, shop, external_id, reference, lines: [{line_no,
    # external_sku, sku, per_item, quantity, matched_on}]}; None for an order typed here.
    shop_order: dict[str, Any] | None = None
    unavailable: dict[str, Any] = {}


class BackwardTrace(BaseModel):
    order_id: str
    trace: Any
    shipments: list[Shipment]


class RecallEntry(BaseModel):
    order_id: str
    order_no: str | None = None
    status: str | None = None
    customer: dict[str, Any] | None = None
    lots: list[dict[str, Any]] = []


class ForwardTrace(BaseModel):
    lot_id: str
    trace: Any
    recall: list[RecallEntry]
