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


# Money travels as a decimal string like quantities; the currency is named beside it.
Money = Annotated[Decimal, Field(max_digits=18, decimal_places=6)]
ShortText = Annotated[str, Field(max_length=200)]


class PostalAddress(BaseModel):
    """Where a parcel goes (or who pays): a gift's ship-to is the recipient, not the buyer."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: ShortText | None = None
    company: ShortText | None = None
    address1: ShortText | None = None
    address2: ShortText | None = None
    city: ShortText | None = None
    zip: Annotated[str, Field(max_length=20)] | None = None
    province: ShortText | None = None
    country: Annotated[str, Field(max_length=2)] | None = None
    phone: Annotated[str, Field(max_length=50)] | None = None


class ShopLinePrice(BaseModel):
    """A shop line as the buyer saw it: what it was called, how many, at what price."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    line_no: int = Field(ge=1)  # our order line it became
    title: Annotated[str, Field(max_length=300)] | None = None
    quantity: Quantity  # in shop items
    unit_price: Money | None = None
    total: Money | None = None


class ShopDetails(BaseModel):
    """What the shop knew about an order beyond lines and buyer: the shop's own order number,
    money, ship-to, the shipping method paid for, the buyer's note, the language."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    shop_order_number: Annotated[str, Field(max_length=100)] | None = None  # "#1042"
    currency: Annotated[str, Field(min_length=3, max_length=3)] | None = None
    subtotal: Money | None = None
    tax: Money | None = None
    shipping: Money | None = None
    total: Money | None = None
    lines: list[ShopLinePrice] = Field(default_factory=list)
    ship_to: PostalAddress | None = None
    shipping_method: ShortText | None = None
    buyer_note: Annotated[str, Field(max_length=2000)] | None = None
    language: Annotated[str, Field(max_length=10)] | None = None
    gift: bool = False
