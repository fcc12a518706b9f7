"""What every event body shares, and the small value types several events use."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.units import Unit

# Quantities travel as decimal strings in JSON so no float rounding touches stock.
Quantity = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)]
NonNegativeQuantity = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]


class Event(BaseModel):
    """Base of every event body. Frozen; unknown fields are ignored so that a consumer keeps
    working when a producer adds optional fields within the same major version."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # Set by each concrete event: the name in the envelope and the schema's major version.
    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    # The body field whose value is the Kafka message key (the aggregate the event is about).
    key_field: ClassVar[str]

    def key(self) -> str:
        return str(getattr(self, self.key_field))


class Customer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    customer_id: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    country: str | None = Field(default=None, max_length=2)


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    line_no: int = Field(ge=1)
    sku: Sku
    quantity: Quantity
    unit: Unit


class LineQuantity(BaseModel):
    """A quantity of one order line (in the item's base unit)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    order_id: str
    line_no: int = Field(ge=1)
    quantity: Quantity


class LotQuantity(BaseModel):
    """A quantity taken from (or set aside in) one lot."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sku: Sku
    lot_id: str
    lot_no: str
    quantity: Quantity
    unit: Unit
    expiry_date: date | None = None
