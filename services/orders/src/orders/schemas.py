"""Request and response bodies of the orders API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.events.base import Customer, Quantity, Sku
from contracts.units import Unit

OrderIdText = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_no: int | None = Field(default=None, ge=1, le=1_000_000,
                                description="defaults to the line's position (1, 2, ...)")
    sku: Sku
    quantity: Quantity
    unit: Unit


class PlaceOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: OrderIdText | None = Field(default=None, description="optional; makes the call idempotent")
    customer: Customer
    lines: list[LineIn] = Field(min_length=1)
    wanted_date: date | None = None
    priority: int = Field(default=0, ge=-1_000_000, le=1_000_000, description="higher first")

    @model_validator(mode="after")
    def _unique_line_numbers(self) -> "PlaceOrder":
        numbers = self.line_numbers()
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"line numbers must be unique, got {numbers}")
        return self

    def line_numbers(self) -> list[int]:
        return [ln.line_no or i for i, ln in enumerate(self.lines, start=1)]


class CancelOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=500, description="why; passed on in OrderCancelled")


class PlanOut(BaseModel):
    plan_id: str
    batch_no: str | None
    quantity: Decimal | None
    unit: str | None
    ready_estimate: date | None
    planned_end: date | None
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None  # production cancelled the batch


class LineOut(BaseModel):
    line_no: int
    sku: str
    quantity: Decimal
    unit: str
    state: str
    allocated_quantity: Decimal
    allocated_unit: str | None
    fully_allocated: bool
    shortages: list[dict[str, Any]] | None
    short_reason: str | None
    # A waiting line: the kind of wait (MaterialsShort.reason_code) and when it could end.
    short_code: str | None = None
    waiting_date: date | None = None
    plans: list[PlanOut]


class ShortageOut(BaseModel):
    line_no: int
    sku: str
    material_sku: str | None = None
    required: Decimal | None = None
    available: Decimal | None = None
    missing: Decimal | None = None
    unit: str | None = None
    reason: str | None = None


class ShipmentOut(BaseModel):
    shipment_id: str
    carrier: str
    tracking_no: str
    complete: bool
    shipped_at: datetime
    delivered_at: datetime | None


class TimelineOut(BaseModel):
    at: datetime
    status: str
    event_type: str
    event_id: uuid.UUID
    producer: str
    detail: str


class OrderSummary(BaseModel):
    order_id: str
    order_no: str
    status: str
    channel: str
    channel_order_ref: str | None
    channel_shop: str | None = None
    customer_name: str
    customer_email: str
    placed_at: datetime
    wanted_date: date | None
    # What the customer was told (the first date known after placement; kept) and today's
    # best estimate (recomputed on every supply change; PromiseChanged when it moves).
    promised_date: date | None
    expected_date: date | None = None
    priority: int
    # Set once a cancellation was requested (the status may still say shipped: goods left).
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    # Something only a person can settle (e.g. the shop cancelled after shipment).
    attention: str | None = None


class OrderOut(OrderSummary):
    customer: dict[str, Any]
    # What the shop knew (contracts ShopDetails): its order number, money, ship-to,
    # shipping method, buyer's note, language. None for operator orders.
    shop_details: dict[str, Any] | None = None
    lines: list[LineOut]
    shortages: list[ShortageOut]
    shipments: list[ShipmentOut]
    timeline: list[TimelineOut]


class OrderPage(BaseModel):
    items: list[OrderSummary]
    total: int
    limit: int
    offset: int


class OrderContact(BaseModel):
    """Who an order is for and where it stands: what a recall list shows per order."""

    order_id: str
    order_no: str
    status: str
    customer: dict[str, Any]


class PromiseRules(BaseModel):
    """What orders adds to "goods ready" to date a shipment (the gateway's quote uses it)."""

    handling_days: int


class StuckLine(BaseModel):
    line_no: int
    sku: str
    quantity: Decimal
    unit: str
    category: str  # shortage | unknown item | no recipe | broken recipe | on hold
    reason: str
    shortages: list[dict[str, Any]]
    expected_date: date | None
    action: str


class StuckOrder(BaseModel):
    order_id: str
    order_no: str
    customer_name: str
    placed_at: datetime
    promised_date: date | None
    expected_date: date | None
    lines: list[StuckLine]


class StuckPage(BaseModel):
    items: list[StuckOrder]
    total: int
    limit: int
    offset: int
