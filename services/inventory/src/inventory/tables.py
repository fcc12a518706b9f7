"""SQLModel table models of the inventory database (DDL and constraints: migrations/*.sql)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, ForeignKeyConstraint, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

ZERO = Decimal(0)


class Table(SQLModel, registry=registry()):
    """Base of inventory's tables, with its own metadata: several services' models can live
    in one process (tests, tools) without their table names colliding."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def Qty(default: Decimal | None = None, **kw: Any) -> Any:
    return Field(default=default, sa_type=Numeric(18, 6), **kw)


def Stamp(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), **kw)


class Item(Table, table=True):
    __tablename__ = "items"
    sku: str = Field(primary_key=True)
    name: str
    kind: str  # raw | finished | intermediate
    base_unit: str
    shelf_life_days: int | None = None
    supplier_lead_time_days: int | None = None
    # Plausibility bound of one order line (base unit); None: only orders' global bound.
    max_order_quantity: Decimal | None = Qty(None)
    active: bool = True
    # Grows with every change; ItemDefined carries it so replicas keep the newest.
    revision: int = 1
    created_at: datetime = Stamp()
    updated_at: datetime = Stamp()


class Lot(Table, table=True):
    __tablename__ = "lots"
    lot_id: str = Field(primary_key=True)
    sku: str = Field(foreign_key="items.sku")
    lot_no: str
    supplier_lot_no: str | None = None
    source: str  # receipt | production
    batch_id: str | None = None
    received_date: date
    expiry_date: date | None = None
    on_hand: Decimal = Qty(ZERO)
    reserved: Decimal = Qty(ZERO)
    allocated: Decimal = Qty(ZERO)
    # A held lot is neither allocated nor consumed (quality hold, or a recall: hold_recall_id).
    on_hold: bool = False
    hold_reason: str | None = None
    hold_recall_id: str | None = None
    held_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    hold_seq: int = 0
    created_at: datetime = Stamp()

    @property
    def free(self) -> Decimal:
        return self.on_hand - self.reserved - self.allocated


class StockMovement(Table, table=True):
    __tablename__ = "stock_movements"
    movement_id: int | None = Field(default=None, primary_key=True)
    lot_id: str = Field(foreign_key="lots.lot_id")
    sku: str
    kind: str  # receipt | production | consumption | shipment | disposal
    quantity: Decimal = Qty()
    order_id: str | None = None
    shipment_id: str | None = None
    batch_id: str | None = None
    allocation_id: str | None = None
    note: str = ""
    event_id: uuid.UUID | None = None
    created_at: datetime = Stamp()


class RecipeReplica(Table, table=True):
    __tablename__ = "recipes"
    sku: str = Field(primary_key=True)
    name: str
    recipe_version: int
    output_unit: str
    ingredients: list[dict] = Field(sa_type=JSONB)
    batch_min: Decimal = Qty()
    batch_multiple: Decimal = Qty()
    expected_yield: Decimal = Qty()
    lead_time_days: int
    shelf_life_days: int | None = None
    updated_at: datetime = Stamp()


class OrderDemand(Table, table=True):
    __tablename__ = "order_demands"
    order_id: str = Field(primary_key=True)
    order_no: str
    priority: int = 0
    placed_at: datetime = Field(sa_type=DateTime(timezone=True))
    customer: str = ""
    recorded_at: datetime = Stamp()
    cancelled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    backordered: bool = False


class CancelledOrder(Table, table=True):
    __tablename__ = "cancelled_orders"
    order_id: str = Field(primary_key=True)
    reason: str = ""
    cancelled_at: datetime = Field(sa_type=DateTime(timezone=True))
    recorded_at: datetime = Stamp()


class DemandLine(Table, table=True):
    __tablename__ = "demand_lines"
    order_id: str = Field(primary_key=True, foreign_key="order_demands.order_id")
    line_no: int = Field(primary_key=True)
    sku: str
    quantity: Decimal = Qty()
    unit: str
    ordered_quantity: Decimal = Qty()
    ordered_unit: str
    waiting: Decimal = Qty(ZERO)
    reason: str = ""
    status: str = "open"  # open | cancelled
    # What kind of wait (MaterialsShort.reason_code) and when it could end (expected_date).
    reason_code: str | None = None
    expected_date: date | None = None


class LineShortage(Table, table=True):
    __tablename__ = "line_shortages"
    __table_args__ = (ForeignKeyConstraint(["order_id", "line_no"], ["demand_lines.order_id", "demand_lines.line_no"]),)
    order_id: str = Field(primary_key=True)
    line_no: int = Field(primary_key=True)
    material_sku: str = Field(primary_key=True)
    required: Decimal = Qty()
    available: Decimal = Qty()
    missing: Decimal = Qty()
    unit: str


class Plan(Table, table=True):
    __tablename__ = "plans"
    plan_id: str = Field(primary_key=True)
    sku: str
    batch_quantity: Decimal = Qty()
    promised: Decimal = Qty(ZERO)
    unit: str
    recipe_version: int
    lead_time_days: int
    status: str = "planned"  # planned | completed | cancelled
    batch_no: str | None = None
    output_quantity: Decimal | None = Qty(None)
    # Production's latest planned quantity (BatchScheduled): a shrink to apply when it may.
    scheduled_quantity: Decimal | None = Qty(None)
    # Production's planned end (latest BatchScheduled): when its surplus can be promised.
    planned_end: date | None = None
    # order: planned for customer orders; stock: a replenishment batch (reorder point).
    purpose: str = "order"
    created_at: datetime = Stamp()
    completed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cancelled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class Promise(Table, table=True):
    __tablename__ = "promises"
    __table_args__ = (ForeignKeyConstraint(["order_id", "line_no"], ["demand_lines.order_id", "demand_lines.line_no"]),)
    plan_id: str = Field(primary_key=True, foreign_key="plans.plan_id")
    order_id: str = Field(primary_key=True)
    line_no: int = Field(primary_key=True)
    quantity: Decimal = Qty()
    allocated: Decimal = Qty(ZERO)
    released: Decimal = Qty(ZERO)

    @property
    def open_quantity(self) -> Decimal:
        """Still to come from the plan's output."""
        return self.quantity - self.allocated - self.released


class Reservation(Table, table=True):
    __tablename__ = "reservations"
    reservation_id: str = Field(primary_key=True)
    plan_id: str = Field(foreign_key="plans.plan_id")
    lot_id: str = Field(foreign_key="lots.lot_id")
    sku: str
    quantity: Decimal = Qty()
    consumed: Decimal = Qty(ZERO)
    released: Decimal = Qty(ZERO)
    status: str = "open"  # open | closed
    created_at: datetime = Stamp()

    @property
    def open_quantity(self) -> Decimal:
        return self.quantity - self.consumed - self.released


class Allocation(Table, table=True):
    __tablename__ = "allocations"
    __table_args__ = (ForeignKeyConstraint(["order_id", "line_no"], ["demand_lines.order_id", "demand_lines.line_no"]),)
    allocation_id: str = Field(primary_key=True)
    order_id: str
    line_no: int
    lot_id: str = Field(foreign_key="lots.lot_id")
    sku: str
    quantity: Decimal = Qty()
    shipped: Decimal = Qty(ZERO)
    released: Decimal = Qty(ZERO)
    status: str = "allocated"  # allocated | shipped | released
    plan_id: str | None = None
    shipment_id: str | None = None
    created_at: datetime = Stamp()
    shipped_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    released_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))

    @property
    def open_quantity(self) -> Decimal:
        """Set aside and still in the warehouse."""
        return self.quantity - self.shipped - self.released

    @property
    def kept_quantity(self) -> Decimal:
        """What the order keeps of it (shipped or still set aside)."""
        return self.quantity - self.released


class CompletedBatch(Table, table=True):
    __tablename__ = "completed_batches"
    batch_id: str = Field(primary_key=True)
    batch_no: str
    sku: str
    planned_quantity: Decimal = Qty()
    output_quantity: Decimal = Qty()
    waste_quantity: Decimal = Qty()
    unit: str
    finished_lot_id: str | None = Field(default=None, foreign_key="lots.lot_id")
    shortfall: Decimal = Qty(ZERO)
    completed_at: datetime = Field(sa_type=DateTime(timezone=True))


class Recall(Table, table=True):
    __tablename__ = "recalls"
    recall_id: str = Field(primary_key=True)
    lot_id: str = Field(foreign_key="lots.lot_id")
    reason: str
    status: str = "open"  # open | closed
    disposition: str | None = None  # dispose | release, when closed
    opened_at: datetime = Stamp()
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class RecallLot(Table, table=True):
    __tablename__ = "recall_lots"
    recall_id: str = Field(primary_key=True, foreign_key="recalls.recall_id")
    lot_id: str = Field(primary_key=True, foreign_key="lots.lot_id")


class RecallCustomer(Table, table=True):
    __tablename__ = "recall_customers"
    recall_id: str = Field(primary_key=True, foreign_key="recalls.recall_id")
    order_id: str = Field(primary_key=True)
    order_no: str
    customer: str = ""
    goods: list[dict] = Field(sa_type=JSONB)  # RecalledGoods as JSON
    state: str = "notified"  # notified | acknowledged | returned
    updated_at: datetime = Stamp()


class ReorderRule(Table, table=True):
    __tablename__ = "reorder_rules"
    sku: str = Field(primary_key=True, foreign_key="items.sku")
    reorder_point: Decimal = Qty()
    target: Decimal | None = Qty(None)  # min/max
    days_of_cover: int | None = None  # or a target from recent demand
    lookback_days: int = 28
    unit: str
    created_at: datetime = Stamp()
    updated_at: datetime = Stamp()


class Replenishment(Table, table=True):
    __tablename__ = "replenishments"
    replenishment_id: str = Field(primary_key=True)
    sku: str = Field(foreign_key="items.sku")
    action: str  # batch | purchase
    status: str  # planned | waiting | suggested | closed
    unit: str
    on_hand_free: Decimal = Qty()
    open_supply: Decimal = Qty()
    reorder_point: Decimal = Qty()
    target: Decimal = Qty()
    quantity: Decimal = Qty()
    plan_id: str | None = Field(default=None, foreign_key="plans.plan_id")
    shortages: list[dict] = Field(default_factory=list, sa_type=JSONB)
    reached_at: datetime = Stamp()
    updated_at: datetime = Stamp()
