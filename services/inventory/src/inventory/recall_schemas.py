"""Request and response models of holds and recalls (quantities in the item's base unit)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Reason = Field(min_length=1, max_length=500)


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Reason


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=500)


class RecallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lot: str = Field(min_length=1, max_length=100, description="lot id, or the lot number printed on the label")
    reason: str = Reason


class CustomerStateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["acknowledged", "returned"]


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disposition: Literal["dispose", "release"]


class RecallLotOut(BaseModel):
    lot_id: str
    lot_no: str
    supplier_lot_no: str | None
    sku: str
    expiry_date: date | None
    on_hold: bool
    hold_reason: str | None
    # What is left of it (disposed: 0).
    on_hand: Decimal
    reserved: Decimal
    allocated: Decimal
    unit: str


class RecallCustomerOut(BaseModel):
    order_id: str
    order_no: str
    customer: str
    state: Literal["notified", "acknowledged", "returned"]
    updated_at: datetime
    shipment_ids: list[str]
    lots: list[str]
    goods: list[dict]  # sku, lot_id, lot_no, quantity, unit, expiry_date, shipment_id


class RecallSummaryOut(BaseModel):
    recall_id: str
    lot_id: str
    lot_no: str
    sku: str
    reason: str
    status: Literal["open", "closed"]
    disposition: Literal["dispose", "release"] | None
    opened_at: datetime
    closed_at: datetime | None
    lot_count: int
    customer_count: int
    customers_notified: int  # neither acknowledged nor returned yet


class RecallOut(RecallSummaryOut):
    lots: list[RecallLotOut]
    customers: list[RecallCustomerOut]
