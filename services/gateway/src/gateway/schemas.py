"""Request bodies, validated here so that bad input gets a 422 from the gateway (and /docs
shows what each call takes). They mirror the services' own request models; the validated
body is forwarded with only the fields the caller set, so the services' defaults apply."""

from __future__ import annotations

from datetime import date, datetime
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
    intermediate = "intermediate"


class ItemCreate(Body):
    sku: Sku
    name: str = Field(min_length=1, max_length=200)
    kind: ItemKind
    base_unit: Unit
    shelf_life_days: int | None = Field(default=None, ge=1, le=36500)
    supplier_lead_time_days: int | None = Field(default=None, ge=0, le=3650)
    max_order_quantity: Quantity | None = Field(default=None, description="most one order line may ask for (base unit)")
    active: bool = True


class ItemChange(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    shelf_life_days: int | None = Field(default=None, ge=1, le=36500)
    supplier_lead_time_days: int | None = Field(default=None, ge=0, le=3650)
    max_order_quantity: Quantity | None = None
    active: bool | None = None


class ReceiptCreate(Body):
    sku: Sku
    quantity: Quantity
    unit: Unit
    lot_no: str | None = Field(default=None, min_length=1, max_length=64)
    supplier_lot_no: str | None = Field(default=None, min_length=1, max_length=64)
    expiry_date: date | None = None
    received_date: date | None = Field(default=None, description="defaults to today")
    # Against a purchase order line (both or neither): checked against the PO's tolerance.
    purchase_order_id: str | None = Field(default=None, min_length=1, max_length=100)
    po_line: int | None = Field(default=None, ge=1, le=10_000)


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
    carrier: str = Field(min_length=1, max_length=100, description="DHL, UPS, USPS, DPD, GLS, FedEx or Local courier (GET /api/carriers)")
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


# Secrets and tokens a connector holds: validated here, forwarded once, never echoed back
# (a 422 for one of them leaves its value out: see gateway.errors).
SECRET_FIELDS = ("webhook_secret", "admin_token", "api_key", "api_secret", "access_token", "refresh_token")
Secret = Annotated[str, Field(min_length=8, max_length=500)]
Token = Annotated[str, Field(min_length=1, max_length=2000)]


class IntakeRules(Body):
    """Which shop orders wait and which shop lines are not goods; fields left out keep the
    channels service's defaults."""

    hold_unpaid: bool | None = Field(default=None, description="unpaid orders wait, not produced, until paid")
    skip_test_orders: bool | None = Field(default=None, description="platform test orders are recorded, never produced")
    ignore_non_shipping: bool | None = Field(default=None, description="lines needing no shipping are not goods")
    ignore_zero_price: bool | None = Field(default=None, description="free lines nobody mapped are not goods")
    ignore_product_types: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=50, description='e.g. ["gift wrap", "tip"]')
    ignore_skus: list[Annotated[str, Field(min_length=1, max_length=255)]] | None = Field(default=None, max_length=500)


class ConnectorCreate(Body):
    """Create or update. Fields left out keep their value; an explicit null clears one."""

    channel: ChannelName
    shop: ShopText
    admin_url: AnyHttpUrl | None = Field(default=None, description="the platform API's base URL (orders, fulfillments)")
    shop_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-]+$")] | None = Field(
        default=None, description="the platform's own shop id (Etsy)")
    webhook_secret: Secret | None = Field(default=None, description="the secret the shop signs its webhooks with")
    admin_token: Token | None = Field(default=None, description="Shopify: X-Shopify-Access-Token")
    api_key: Token | None = Field(default=None, description="WooCommerce consumer key; Etsy keystring")
    api_secret: Token | None = Field(default=None, description="WooCommerce consumer secret; Etsy shared secret")
    access_token: Token | None = Field(default=None, description="Etsy OAuth access token")
    refresh_token: Token | None = Field(default=None, description="Etsy OAuth refresh token")
    token_expires_at: datetime | None = None
    rules: IntakeRules | None = None
    enabled: bool | None = None


class RotateSecret(Body):
    webhook_secret: Secret = Field(description="the new secret; the old one is accepted for a grace period")


class ReconcileRequest(Body):
    since: datetime | None = Field(default=None, description="default: where the last pass left off")


# A SKU-map key: the shop's SKU, or "variant:<id>" / "product:<id>" for lines matched by the
# platform's ids (lines without a SKU: gift wrap, free samples).
SkuRef = Annotated[str, Field(min_length=1, max_length=255)]
SkuRefPath = Annotated[str, Path(min_length=1, max_length=255)]


class SkuTarget(Body):
    sku: Sku | None = None
    unit: Unit = Unit.pcs
    per_item: Quantity = Field(default=Decimal(1), description="our quantity per shop item (e.g. 6 for a 6-pack)")
    ignore: bool = Field(default=False, description="the shop line is not goods (gift wrap, tip): dropped from the order")

    @model_validator(mode="after")
    def _target(self) -> SkuTarget:
        if not self.ignore and not self.sku:
            raise ValueError("a mapping names our sku, or says ignore: true")
        if self.ignore and self.sku:
            raise ValueError("a line is either mapped to our sku or ignored, not both")
        return self


class SkuMapping(RootModel[dict[SkuRef, Sku | SkuTarget]]):
    """{ref: our SKU} or {ref: {sku, unit, per_item}} or {ref: {ignore: true}}; ref is a shop
    SKU, "variant:<id>" or "product:<id>". Entries not named stay as they are."""

    @model_validator(mode="after")
    def _not_empty(self) -> SkuMapping:
        if not self.root:
            raise ValueError("the SKU map is empty")
        return self

    def forward(self) -> dict:
        return self.model_dump(mode="json", exclude_unset=True)


class ShopOrderStatus(StrEnum):
    received = "received"
    accepted = "accepted"
    needs_mapping = "needs_mapping"
    needs_review = "needs_review"
    awaiting_payment = "awaiting_payment"
    test = "test"
    cancelled = "cancelled"
    no_goods = "no_goods"


class FulfillmentStatus(StrEnum):
    pending = "pending"
    synced = "synced"
    failed = "failed"


# --- purchasing -----------------------------------------------------------------------------
IdPath = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Price = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]


class SupplierCreate(Body):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    phone: str | None = Field(default=None, max_length=50)


class SupplierTerms(Body):
    """Pack size and minimum order quantity in the material's base unit."""

    lead_time_days: int = Field(ge=0, le=3650)
    pack_size: Quantity
    min_order_quantity: Decimal = Field(default=Decimal(0), ge=0, max_digits=18, decimal_places=6)
    price: Price | None = None
    currency: Currency | None = None
    preferred: bool = False


class PurchaseOrderLineIn(Body):
    material_sku: Sku
    quantity: Quantity
    unit: Unit
    unit_price: Price | None = None


class PurchaseOrderCreate(Body):
    supplier_id: str = Field(min_length=1, max_length=100)
    currency: Currency | None = None
    lines: list[PurchaseOrderLineIn] = Field(min_length=1, max_length=200)


class PurchaseOrderCancel(Body):
    reason: str = Field(default="", max_length=200)


class FromSuggestions(Body):
    materials: list[Sku] | None = Field(default=None, max_length=500, description="all suggestions if omitted")


class PurchaseOrderStatus(StrEnum):
    draft = "draft"
    sent = "sent"
    partly_received = "partly_received"
    received = "received"
    cancelled = "cancelled"


# --- holds and recalls (inventory) ------------------------------------------------------------
# A lot is named by its id or by the number printed on its label (ours or the supplier's).
LotRef = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:#+\- ]*$",
                             description="lot id, or the lot number printed on the label (ours or the supplier's)")]
RecallId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9\-]*$")]


class HoldIn(Body):
    reason: str = Field(min_length=1, max_length=500)


class ReleaseIn(Body):
    reason: str = Field(default="", max_length=500)


class RecallIn(Body):
    lot: str = Field(min_length=1, max_length=100, description="lot id, or the lot number printed on the label")
    reason: str = Field(min_length=1, max_length=500)


class RecallCustomerState(StrEnum):
    acknowledged = "acknowledged"
    returned = "returned"


class RecallCustomerIn(Body):
    state: RecallCustomerState


class RecallDisposition(StrEnum):
    dispose = "dispose"
    release = "release"


class RecallCloseIn(Body):
    disposition: RecallDisposition = Field(description="dispose: write off the remaining stock, lots stay held; "
                                           "release: the holds end")


# --- make to stock --------------------------------------------------------------------------
class ReorderRuleIn(Body):
    """A reorder point and either a target (min/max) or days of cover from recent demand.
    Signs and the target against the point are judged by inventory (422 with its reasons)."""

    reorder_point: Annotated[Decimal, Field(max_digits=18, decimal_places=6)]
    unit: Unit
    target: Annotated[Decimal, Field(max_digits=18, decimal_places=6)] | None = None
    days_of_cover: int | None = Field(default=None, le=3650, description="fill up to this many days of recent demand")
    lookback_days: int | None = Field(default=None, le=3650, description="the window recent demand is averaged over (28)")
