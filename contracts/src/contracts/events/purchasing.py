"""Events published by the purchasing service (suppliers and purchase orders).

A purchase order is expected supply from the moment it is sent until its lines are received
or it is cancelled: inventory keeps a replica of open PO lines from these two events (to
date waiting orders and to check receipts against the PO), shipping mails the supplier."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import Event, Money, Quantity, ShortText, Sku
from contracts.units import Unit

# Over-receipt allowed on a line, as a fraction of the ordered quantity (0.05 = 5 %).
Tolerance = Annotated[Decimal, Field(ge=0, le=1, max_digits=7, decimal_places=6)]


class PurchaseOrderLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    line_no: int = Field(ge=1)
    material_sku: Sku
    quantity: Quantity
    unit: Unit
    # When the supplier is expected to deliver: the day it was sent + the supplier's lead time.
    expected_date: date
    unit_price: Money | None = None


class PurchaseOrderPlaced(Event):
    """A purchase order was sent to its supplier: its open lines are expected supply."""

    event_type = "PurchaseOrderPlaced"
    key_field = "purchase_order_id"

    purchase_order_id: str
    po_no: str
    supplier_id: str
    supplier_name: ShortText
    # Where the order goes (the notification path mails it); None: the supplier is told otherwise.
    supplier_email: Annotated[str, Field(max_length=254)] | None = None
    currency: Annotated[str, Field(min_length=3, max_length=3)] | None = None
    lines: list[PurchaseOrderLine] = Field(min_length=1)
    # Receipts against a line may exceed its quantity by this fraction, not more.
    receipt_tolerance: Tolerance = Decimal(0)
    sent_at: datetime


def receipt_limit(quantity: Decimal, tolerance: Decimal) -> Decimal:
    """The most that may be received in all against a line of `quantity` sent with
    `receipt_tolerance` (the rule inventory applies at the goods receipt)."""
    return quantity * (1 + tolerance)


class PurchaseOrderCancelled(Event):
    """A purchase order was cancelled: what is not received of it is no longer expected."""

    event_type = "PurchaseOrderCancelled"
    key_field = "purchase_order_id"

    purchase_order_id: str
    po_no: str
    reason: ShortText = ""
    cancelled_at: datetime
