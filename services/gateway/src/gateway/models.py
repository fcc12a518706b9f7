"""Request bodies, validated here so that bad input gets a 422 from the gateway (and /docs
shows what each call takes). They mirror the services' own request models; the validated
body is forwarded with only the fields the caller set, so the services' defaults apply."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from contracts.events.base import Customer, Quantity, Sku
from contracts.units import Unit
from fastapi import Path
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, RootModel, model_validator

# Path parameters. Order ids are opaque strings (channel orders get a uuid5); batch, lot and
# shipment ids are UUIDs minted by their services.
OrderId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]
SkuPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def forward(self) -> dict:
        return self.model_dump(mode="json", exclude_unset=True)


# --- orders ---------------------------------------------------------------------------------
class OrderLineIn(Body):
    line_no: int | None = Field(default=None, ge=1, le=1_000_000,
                                description="defaults to the line's position (1, 2, ...)")
    sku: Sku
    quantity: Quantity
    unit: Unit


class OrderCreate(Body):
    order_id: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$",
                                 description="optional; makes the call idempotent (same id and content: 200)")
    customer: Customer
    lines: list[OrderLineIn] = Field(min_length=1)
    wanted_date: date | None = None
    priority: int = Field(default=0, ge=-1_000_000, le=1_000_000, description="higher first")

    @model_validator(mode="after")
    def _unique_line_numbers(self) -> OrderCreate:
        numbers = [ln.line_no or i for i, ln in enumerate(self.lines, start=1)]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"line numbers must be unique, got {numbers}")
        return self


class CancelRequest(Body):
    reason: str = Field(default="", max_length=500)


class BatchCancelRequest(Body):
    reason: str = Field(min_length=1, max_length=500, description="why the batch will not be made")


# --- inventory ------------------------------------------------------------------------------
class ItemKind(StrEnum):
    raw = "raw"
    finished = "finished"


class ItemCreate(Body):
    sku: Sku
    name: str = Field(min_length=1, max_length=200)
    kind: ItemKind
    base_unit: Unit
    shelf_life_days: int | None = Field(default=None, ge=1, le=36500)
    supplier_lead_time_days: int | None = Field(default=None, ge=0, le=3650)


class ReceiptCreate(Body):
    sku: Sku
    quantity: Quantity
    unit: Unit
    lot_no: str | None = Field(default=None, min_length=1, max_length=64)
    supplier_lot_no: str | None = Field(default=None, min_length=1, max_length=64)
    expiry_date: date | None = None
    received_date: date | None = Field(default=None, description="defaults to today")


# --- production -----------------------------------------------------------------------------
class IngredientIn(Body):
    sku: Sku
    quantity: Quantity = Field(description="per one unit of output")
    unit: Unit


class RecipeCreate(Body):
    sku: Sku
    name: str = Field(min_length=1, max_length=200)
    output_unit: Unit
    ingredients: list[IngredientIn] = Field(min_length=1)
    batch_min: Quantity
    batch_multiple: Quantity
    expected_yield: Decimal = Field(gt=0, le=1)
    lead_time_days: int = Field(ge=0)
    shelf_life_days: int | None = Field(default=None, ge=1)


class LotConsumption(Body):
    lot_id: str = Field(min_length=1, max_length=100)
    quantity: Quantity


class BatchComplete(Body):
    output_quantity: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]
    waste_quantity: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)] | None = None
    consumption: list[LotConsumption] | None = Field(default=None, description="defaults to the reserved lots")
    expiry_date: date | None = Field(default=None, description="defaults to today + the recipe's shelf life")


# --- shipping -------------------------------------------------------------------------------
class ShipRequest(Body):
    # The list of carriers is the shipping service's (it answers 422 for an unknown one).
    carrier: str = Field(min_length=1, max_length=100, description="DHL, UPS, DPD, GLS, FedEx or Local courier")
    tracking_no: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9\-]{3,39}$",
                             description="the carrier's tracking number: 4-40 letters, digits or dashes")


# --- channels -------------------------------------------------------------------------------
class ChannelName(StrEnum):
    shopify = "shopify"
    woocommerce = "woocommerce"
    etsy = "etsy"


ShopText = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-_]*$",
                                description='the shop handle, e.g. "acme.myshopify.com"')]
ShopPath = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-_]*$")]


class ConnectorCreate(Body):
    channel: ChannelName
    shop: ShopText
    admin_url: AnyHttpUrl | None = Field(default=None, description="the shop's admin API (fulfillment sync)")
    webhook_secret: str | None = Field(default=None, min_length=8, max_length=500,
                                       description="HMAC secret the shop signs its webhooks with")
    admin_token: str | None = Field(default=None, min_length=1, max_length=500)


class SkuTarget(Body):
    sku: Sku
    unit: Unit = Unit.pcs
    per_item: Quantity = Field(default=Decimal(1), description="our quantity per shop item (e.g. 6 for a 6-pack)")


class SkuMapping(RootModel[dict[Annotated[str, Field(min_length=1, max_length=255)], Sku | SkuTarget]]):
    """{shop SKU: our SKU} or {shop SKU: {sku, unit, per_item}}; entries not named stay as they are."""

    def forward(self) -> dict:
        return self.model_dump(mode="json", exclude_unset=True)
