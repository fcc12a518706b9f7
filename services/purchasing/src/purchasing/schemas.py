"""What the HTTP API takes and gives (pydantic). Unknown fields are refused at the door."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.events.base import Quantity, Sku
from contracts.units import Unit

Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]
NonNegative = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SupplierIn(In):
    name: Name
    email: Email | None = None
    phone: Annotated[str, Field(max_length=50)] | None = None

    @field_validator("name")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("name may not be blank")
        return v.strip()


class TermsIn(In):
    """A supplier's terms for one material; pack size and minimum in the material's base unit."""

    lead_time_days: int = Field(ge=0, le=3650)
    pack_size: Quantity
    min_order_quantity: NonNegative = Decimal(0)
    price: Money | None = None
    currency: Currency | None = None
    preferred: bool = False


class TermsOut(BaseModel):
    supplier_id: str
    supplier_name: str
    material_sku: str
    base_unit: str | None
    lead_time_days: int
    pack_size: Decimal
    min_order_quantity: Decimal
    price: Decimal | None
    currency: str | None
    preferred: bool


class SupplierOut(BaseModel):
    supplier_id: str
    name: str
    email: str | None
    phone: str | None
    created_at: datetime
    materials: list[TermsOut] = []


class LineIn(In):
    material_sku: Sku
    quantity: Quantity
    unit: Unit
    unit_price: Money | None = None


class PurchaseOrderIn(In):
    supplier_id: Annotated[str, Field(min_length=1, max_length=100)]
    currency: Currency | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=200)


class CancelIn(In):
    reason: Annotated[str, Field(max_length=200)] = ""


class FromSuggestionsIn(In):
    # None: every suggestion that has a supplier.
    materials: list[Sku] | None = Field(default=None, max_length=500)


class LineOut(BaseModel):
    line_no: int
    material_sku: str
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    base_unit: str
    received: Decimal
    open_quantity: Decimal
    unit_price: Decimal | None
    lead_time_days: int
    expected_date: date | None


class ReceiptOut(BaseModel):
    lot_id: str
    lot_no: str
    supplier_lot_no: str | None
    po_line: int
    base_quantity: Decimal
    received_date: date


class PurchaseOrderOut(BaseModel):
    purchase_order_id: str
    po_no: str
    supplier_id: str
    supplier_name: str
    supplier_email: str | None
    status: str
    currency: str | None
    receipt_tolerance: Decimal
    created_from: str
    created_at: datetime
    sent_at: datetime | None
    received_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    lines: list[LineOut]
    receipts: list[ReceiptOut] = []


class WaitingLine(BaseModel):
    order_id: str
    line_no: int
    required: Decimal


class SuggestionOut(BaseModel):
    """What to buy of one material: the demand of waiting lines net of usable stock and of
    open purchase orders, rounded up to whole packs and the supplier's minimum."""

    material_sku: str
    unit: str
    required: Decimal
    available: Decimal
    on_order: Decimal  # open quantities of sent / partly received POs
    in_draft: Decimal  # lines of drafts not sent yet (they count: a second click adds nothing)
    missing: Decimal
    quantity: Decimal  # to order: whole packs, at least the minimum (0 without a supplier)
    supplier_id: str | None
    supplier_name: str | None
    pack_size: Decimal | None
    min_order_quantity: Decimal | None
    lead_time_days: int | None
    expected_date: date | None  # if sent today
    price: Decimal | None
    currency: str | None
    reason: str = ""  # why no PO can be made from it (no supplier)
    waiting: list[WaitingLine] = []
    # Make to stock: the level reorder points want (a material's target, the requirement of a
    # batch for stock waiting for it), counted with `required`; `because` names the sources.
    reorder_wanted: Decimal = Decimal(0)
    because: list[str] = []  # "waiting orders", "reorder point", "batch for stock of <sku>"

