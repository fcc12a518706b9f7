"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, Field, field_validator, model_validator

from channels.domain.channels import Channel
from contracts.events.base import Quantity, Sku
from contracts.units import Unit

# Shop handles: "acme.myshopify.com", "acme-store", "shop.example.com".
Shop = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-_]*$")]
# A mapping key: the shop's SKU, or "variant:<id>" / "product:<id>" for lines matched by id.
ExternalRef = Annotated[str, Field(min_length=1, max_length=255)]
Secret = Annotated[str, Field(min_length=8, max_length=500)]
Token = Annotated[str, Field(min_length=1, max_length=2000)]


class RulesIn(BaseModel):
    """Intake rules (see channels.domain.intake_rules); rules left out keep their current value."""

    model_config = {"extra": "forbid"}

    hold_unpaid: bool | None = None
    skip_test_orders: bool | None = None
    ignore_non_shipping: bool | None = None
    ignore_zero_price: bool | None = None
    ignore_product_types: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(None, max_length=50)
    ignore_skus: list[Annotated[str, Field(min_length=1, max_length=255)]] | None = Field(None, max_length=500)


class ConnectorIn(BaseModel):
    """Create or update. Fields left out keep their value; an explicit null clears one."""

    model_config = {"extra": "forbid"}

    channel: Channel
    shop: Shop
    admin_url: AnyHttpUrl | None = Field(None, description="the platform API's base URL (e.g. https://acme.myshopify.com)")
    shop_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-]+$")] | None = None
    webhook_secret: Secret | None = None
    admin_token: Token | None = None
    api_key: Token | None = None
    api_secret: Token | None = None
    access_token: Token | None = None
    refresh_token: Token | None = None
    token_expires_at: datetime | None = None
    rules: RulesIn | None = None
    enabled: bool | None = None


class ConnectorOut(BaseModel):
    channel: str
    shop: str
    enabled: bool
    admin_url: str | None
    shop_id: str | None
    # Secrets never leave the service; only whether they are set.
    has_webhook_secret: bool
    has_admin_token: bool
    has_api_key: bool
    has_api_secret: bool
    has_access_token: bool
    has_refresh_token: bool
    token_expires_at: datetime | None
    rules: dict[str, Any]
    webhook_path: str
    webhook_url: str  # absolute: paste it into the shop's webhook settings
    reconciled_at: datetime | None
    reconcile_error: str | None


class RotateSecretIn(BaseModel):
    model_config = {"extra": "forbid"}

    webhook_secret: Secret


class SkuTargetIn(BaseModel):
    model_config = {"extra": "forbid"}

    sku: Sku | None = None
    unit: Unit = Unit.pcs
    per_item: Quantity = Decimal(1)
    ignore: bool = Field(False, description="the shop line is not goods (gift wrap, tip): dropped from the order")

    @model_validator(mode="after")
    def _target(self) -> SkuTargetIn:
        if not self.ignore and not self.sku:
            raise ValueError("a mapping names our sku, or says ignore: true")
        return self


# {ref: our_sku} or {ref: {sku, unit, per_item} | {ignore: true}}; ref is a SKU, "variant:<id>" or "product:<id>"
SkuMapIn = dict[ExternalRef, Sku | SkuTargetIn]


class SkuMapOut(BaseModel):
    ref: str  # as given: "SOAP-LAV", "variant:808950810"
    match_on: Literal["sku", "product", "variant"]
    external: str
    sku: str | None
    unit: str
    per_item: Decimal
    ignore: bool


class ReconcileIn(BaseModel):
    model_config = {"extra": "forbid"}

    since: datetime | None = Field(None, description="default: where the last pass left off")


class ReconcileOut(BaseModel):
    seen: int
    outcomes: dict[str, int]
    since: datetime
    until: datetime


class WebhookAnswer(BaseModel):
    status: str  # accepted | awaiting_payment | needs_mapping | ... | stale | duplicate | queued | ignored | ping
    shop_order_id: uuid.UUID | None = None
    order_id: str | None = None
    reason: str | None = None


class ShopOrderOut(BaseModel):
    shop_order_id: uuid.UUID
    channel: str
    shop: str
    external_id: str
    reference: str | None
    order_id: str
    status: str
    reason: str | None
    attention: str | None
    platform_status: str | None
    platform_updated_at: datetime | None
    source: str
    deliveries: int
    received_at: datetime | None
    accepted_at: datetime | None
    cancelled_at: datetime | None
    updated_at: datetime | None


class ShopOrderDetail(ShopOrderOut):
    payload: Any  # the newest version as the platform sent it
    lines: list[dict[str, Any]] | None


class ShopOrderLines(BaseModel):
    """The shop order an order came from, with how each of its goods lines mapped to our SKU
    (`matched_on`: variant | product | sku — an operator's mapping by that shop reference —,
    or catalog — the shop's SKU is ours)."""

    shop_order_id: uuid.UUID
    channel: str
    shop: str
    external_id: str
    reference: str | None
    lines: list[dict[str, Any]]


class ShopOrderPage(BaseModel):
    items: list[ShopOrderOut]
    total: int
    limit: int
    offset: int


class DeliveryOut(BaseModel):
    id: int
    channel: str
    shop: str
    delivery_id: str | None
    topic: str | None
    external_id: str | None
    outcome: str
    detail: str | None
    received_at: datetime | None
    repeats: int


class FulfillmentOut(BaseModel):
    fulfillment_id: uuid.UUID
    shipment_id: str
    order_id: str
    channel: str
    shop: str
    external_id: str
    tracking_number: str
    tracking_company: str
    tracking_url: str | None = None
    complete: bool = True
    platform_fulfillment_id: str | None = None
    line_items: list[dict[str, Any]]
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime | None
    synced_at: datetime | None

    @field_validator("line_items", mode="before")
    @classmethod
    def _list(cls, v: Any) -> Any:
        return v or []
