"""Response models of the HTTP API (quantities are in the item's base unit)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import Quantity, Sku
from contracts.units import Unit


ItemKind = Literal["raw", "finished", "intermediate"]


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    name: str = Field(min_length=1, max_length=200)
    # raw: bought; finished: made and sold; intermediate: made and used in other recipes.
    kind: ItemKind
    base_unit: Unit
    # Bounded like production's recipes (and within the INT columns).
    shelf_life_days: int | None = Field(default=None, ge=1, le=36500)
    supplier_lead_time_days: int | None = Field(default=None, ge=0, le=3650)
    # Plausibility bound of one order line in the base unit (orders refuses more).
    max_order_quantity: Quantity | None = None
    active: bool = True


class ItemChange(BaseModel):
    """A change of an item: only the fields given change (null clears an optional one).
    Kind and base unit are fixed once an item exists."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    shelf_life_days: int | None = Field(default=None, ge=1, le=36500)
    supplier_lead_time_days: int | None = Field(default=None, ge=0, le=3650)
    max_order_quantity: Quantity | None = None
    active: bool | None = None


class ReceiptIn(BaseModel):
    sku: Sku
    quantity: Quantity
    unit: Unit
    lot_no: str | None = Field(default=None, min_length=1, max_length=64)
    supplier_lot_no: str | None = Field(default=None, max_length=64)
    expiry_date: date | None = None
    received_date: date | None = None
    # Against a purchase order line (both or neither): see purchasing_replica.py.
    purchase_order_id: str | None = Field(default=None, min_length=1, max_length=100)
    po_line: int | None = Field(default=None, ge=1, le=10_000)


class LotOut(BaseModel):
    lot_id: str
    sku: str
    lot_no: str
    supplier_lot_no: str | None
    source: str
    batch_id: str | None
    received_date: date
    expiry_date: date | None
    on_hand: Decimal
    reserved: Decimal
    allocated: Decimal
    available: Decimal
    expired: bool
    unit: str
    # Held: neither allocated nor consumed (a quality hold, or a recall: hold_recall_id).
    on_hold: bool = False
    hold_reason: str | None = None
    hold_recall_id: str | None = None
    held_at: datetime | None = None


class HoldOut(BaseModel):
    lot_id: str
    lot_no: str
    reason: str | None
    recall_id: str | None
    on_hand: Decimal


class StockOut(BaseModel):
    sku: str
    name: str
    kind: str
    base_unit: str
    on_hand: Decimal
    reserved: Decimal
    allocated: Decimal
    # Free to reserve or allocate: not set aside and not expired.
    available: Decimal
    # Free but expired: on hand, never used or shipped.
    expired: Decimal
    # On hand in held lots (never allocated nor consumed; not in `available`), and why.
    on_hold: Decimal = Decimal(0)
    holds: list[HoldOut] = []


class MovementOut(BaseModel):
    movement_id: int
    lot_id: str
    lot_no: str
    sku: str
    kind: str
    quantity: Decimal
    order_id: str | None
    shipment_id: str | None
    batch_id: str | None
    allocation_id: str | None
    note: str
    created_at: datetime


class AllocationOut(BaseModel):
    allocation_id: str
    line_no: int
    sku: str
    lot_id: str
    lot_no: str
    expiry_date: date | None
    quantity: Decimal
    shipped: Decimal
    released: Decimal  # given back to stock (order cancelled)
    status: str
    plan_id: str | None
    shipment_id: str | None


class ShortageOut(BaseModel):
    material_sku: str
    required: Decimal
    available: Decimal
    missing: Decimal
    unit: str


class LineOut(BaseModel):
    line_no: int
    sku: str
    quantity: Decimal
    unit: str
    allocated: Decimal
    shipped: Decimal
    promised: Decimal  # promised against production plans, not yet allocated
    waiting: Decimal  # waiting for materials
    outstanding: Decimal
    reason: str
    status: str  # open | cancelled
    shortages: list[ShortageOut]


class OrderAllocationsOut(BaseModel):
    order_id: str
    order_no: str
    fully_allocated: bool
    cancelled_at: datetime | None
    backordered: bool
    lines: list[LineOut]
    allocations: list[AllocationOut]


class ShortOrder(BaseModel):
    order_id: str
    order_no: str
    line_no: int
    sku: str
    required: Decimal
    missing: Decimal  # as computed when the line was checked


class MaterialShortageOut(BaseModel):
    material_sku: str
    unit: str
    required: Decimal  # by every waiting line short of it
    available: Decimal  # usable free stock now
    missing: Decimal  # what to buy: required - available
    supplier_lead_time_days: int | None
    orders: list[ShortOrder]


class PromiseOut(BaseModel):
    order_id: str
    line_no: int
    quantity: Decimal
    allocated: Decimal
    released: Decimal  # dropped: order or plan cancelled, or not made (yield shortfall)


class PlanOut(BaseModel):
    plan_id: str
    sku: str
    batch_quantity: Decimal
    promised: Decimal
    surplus: Decimal
    unit: str
    status: str
    recipe_version: int
    lead_time_days: int
    batch_no: str | None
    output_quantity: Decimal | None
    scheduled_quantity: Decimal | None
    planned_end: date | None = None
    purpose: str = "order"  # order | stock (a batch for stock, planned by a reorder point)
    created_at: datetime
    cancelled_at: datetime | None
    promises: list[PromiseOut]


class QuoteMaterialOut(BaseModel):
    sku: str
    required: Decimal
    available: Decimal
    missing: Decimal
    unit: str
    supplier_lead_time_days: int | None


class QuoteOut(BaseModel):
    """What inventory can promise (capacity excluded: that is production's)."""

    sku: str
    quantity: Decimal  # in the item's base unit
    unit: str
    basis: Literal["stock", "planned_batch", "production", "purchase", "unavailable"]
    # Inventory's view: today, a planned batch's end, or materials ready + lead time.
    ready_date: date | None
    needs_production: bool
    materials_ready_on: date | None
    lead_time_days: int
    from_stock: Decimal
    from_plans: Decimal
    to_make: Decimal
    explanation: str
    materials: list[QuoteMaterialOut] = []
