"""Request and response bodies of the production HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import LineQuantity, Sku
from contracts.units import Unit
from production.adapters.batches import Batch
from production.domain.completion import LotUse
from production.domain.lifecycle import BatchStatus
from production.domain.recipes import IngredientSpec, RecipeSpec

# Sign and range rules are the domain's (recipe_problems), so one 422 lists every problem;
# here only the shape: decimals that fit NUMERIC(18,6).
Amount = Annotated[Decimal, Field(max_digits=18, decimal_places=6)]
PositiveAmount = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)]
NonNegativeAmount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]


class IngredientIn(BaseModel):
    sku: Sku
    quantity: Amount
    unit: Unit


class RecipeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    name: str = Field(max_length=200)
    output_unit: Unit
    ingredients: list[IngredientIn]
    batch_min: Amount
    batch_multiple: Amount
    expected_yield: Annotated[Decimal, Field(max_digits=7, decimal_places=6)]
    # Upper bounds only keep absurd values out of INT columns; the rules are the domain's.
    lead_time_days: int = Field(le=3650)
    shelf_life_days: int | None = Field(default=None, le=36500)

    def spec(self) -> RecipeSpec:
        return RecipeSpec(
            sku=self.sku,
            name=self.name,
            output_unit=self.output_unit.value,
            ingredients=tuple(IngredientSpec(i.sku, i.quantity, i.unit.value) for i in self.ingredients),
            batch_min=self.batch_min,
            batch_multiple=self.batch_multiple,
            expected_yield=self.expected_yield,
            lead_time_days=self.lead_time_days,
            shelf_life_days=self.shelf_life_days,
        )


class IngredientOut(BaseModel):
    sku: str
    quantity: Decimal
    unit: str


class RecipeOut(BaseModel):
    sku: str
    recipe_version: int
    name: str
    output_unit: str
    ingredients: list[IngredientOut]
    batch_min: Decimal
    batch_multiple: Decimal
    expected_yield: Decimal
    lead_time_days: int
    shelf_life_days: int | None
    published_at: datetime


class LotUseIn(BaseModel):
    lot_id: str = Field(min_length=1)
    quantity: PositiveAmount


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    output_quantity: NonNegativeAmount
    waste_quantity: NonNegativeAmount | None = None
    consumption: list[LotUseIn] | None = None
    expiry_date: date | None = None


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Shown on the timelines of the orders the batch covered: say why.
    reason: str = Field(min_length=1, max_length=500, pattern=r"\S")


class LotOut(BaseModel):
    lot_id: str
    sku: str
    lot_no: str
    quantity: Decimal
    unit: str
    expiry_date: date | None = None

    @classmethod
    def of(cls, lot: LotUse) -> "LotOut":
        return cls(**lot.__dict__)


class BatchOut(BaseModel):
    batch_id: str
    batch_no: str
    sku: str
    recipe_version: int
    status: BatchStatus
    planned_quantity: Decimal
    unit: str
    planned_start: date
    planned_end: date
    lead_time_days: int
    started_at: datetime | None
    completed_at: datetime | None
    output_quantity: Decimal | None
    waste_quantity: Decimal | None
    expiry_date: date | None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    # order | stock (a batch for stock, planned by a reorder point: covers only the orders promised on it since)
    purpose: str = "order"
    covers: list[LineQuantity]

    @classmethod
    def of(cls, batch: Batch, covers: list[LineQuantity]) -> "BatchOut":
        fields = {k: v for k, v in batch.__dict__.items() if k in cls.model_fields}
        return cls(**fields, covers=covers)


class BatchDetail(BatchOut):
    # Material lots set aside for the batch (summed per lot) and, once completed, used.
    reserved_materials: list[LotOut] = []
    consumed_materials: list[LotOut] = []


class DayCapacityOut(BaseModel):
    day: date
    planned: int
    capacity: int
    free: int


class CapacityOut(BaseModel):
    batches_per_day: int
    days: list[DayCapacityOut]


class FirstFreeOut(BaseModel):
    requested: date
    # The first day on or after max(requested, today) with a free batch slot.
    first_free_day: date
    batches_per_day: int
