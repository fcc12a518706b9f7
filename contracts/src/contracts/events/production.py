"""Events published by the production service (recipes and batches)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import Event, LineQuantity, LotQuantity, NonNegativeQuantity, Quantity, Sku
from contracts.units import Unit


class Ingredient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    sku: Sku
    # Quantity of this material per one unit of output, in `unit`.
    quantity: Quantity
    unit: Unit


class RecipePublished(Event):
    """The current recipe (bill of materials) of a finished good. Published on a compacted
    topic keyed by SKU: the latest message per SKU is the recipe in force."""

    event_type = "RecipePublished"
    key_field = "sku"

    sku: Sku
    name: str
    recipe_version: int = Field(ge=1)
    output_unit: Unit
    ingredients: list[Ingredient] = Field(min_length=1)
    batch_min: Quantity
    batch_multiple: Quantity
    # Expected output over theoretical output (0 < yield <= 1); material needs divide by it.
    expected_yield: Decimal = Field(gt=0, le=1)
    lead_time_days: int = Field(ge=0)
    shelf_life_days: int | None = Field(default=None, ge=1)


class BatchScheduled(Event):
    """A manufacturing order (batch) is planned, or its plan changed (more orders covered)."""

    event_type = "BatchScheduled"
    key_field = "batch_id"

    batch_id: str
    batch_no: str
    sku: Sku
    planned_quantity: Quantity
    unit: Unit
    covers: list[LineQuantity] = []
    planned_start: date
    planned_end: date
    # Added in 1.1 (optional): "stock" for a batch planned by a reorder point (make to
    # stock, it may cover no order), "order" for one planned for customer orders.
    purpose: Literal["order", "stock"] = "order"


class BatchStarted(Event):
    event_type = "BatchStarted"
    key_field = "batch_id"

    batch_id: str
    batch_no: str
    sku: Sku
    covers: list[LineQuantity] = []
    started_at: datetime
    # Added in 1.1 (optional): "stock" for a batch planned by a reorder point (make to
    # stock, it may cover no order), "order" for one planned for customer orders.
    purpose: Literal["order", "stock"] = "order"


class BatchCompleted(Event):
    """The batch was produced: `consumption` is what was actually used per material lot,
    `output_quantity` what was made (it becomes the finished lot `batch_no`)."""

    event_type = "BatchCompleted"
    key_field = "batch_id"

    batch_id: str
    batch_no: str
    sku: Sku
    planned_quantity: Quantity
    output_quantity: NonNegativeQuantity
    waste_quantity: NonNegativeQuantity
    unit: Unit
    consumption: list[LotQuantity] = []
    covers: list[LineQuantity] = []
    expiry_date: date | None = None
    completed_at: datetime
    # Added in 1.1 (optional): "stock" for a batch planned by a reorder point (make to
    # stock, it may cover no order), "order" for one planned for customer orders.
    purpose: Literal["order", "stock"] = "order"


class BatchCancelled(Event):
    event_type = "BatchCancelled"
    key_field = "batch_id"

    batch_id: str
    batch_no: str
    sku: Sku
    reason: str = ""
    covers: list[LineQuantity] = []
    cancelled_at: datetime
    # Added in 1.1 (optional): "stock" for a batch planned by a reorder point (make to
    # stock, it may cover no order), "order" for one planned for customer orders.
    purpose: Literal["order", "stock"] = "order"
    # Added in 1.2 (optional): the orders whose cancellation cancelled the batch. Their lines
    # are not planned again (OrderCancelled, on its own topic, may arrive after this event).
    cancelled_orders: list[str] = []
