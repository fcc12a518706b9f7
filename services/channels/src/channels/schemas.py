"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, Field, field_validator

from channels.domain.channels import Channel
from contracts.events.base import Quantity, Sku
from contracts.units import Unit

# Shop handles: "acme.myshopify.com", "acme-store", "shop.example.com".
Shop = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-_]*$")]
ExternalSku = Annotated[str, Field(min_length=1, max_length=255)]


class ConnectorIn(BaseModel):
    channel: Channel
    shop: Shop
    admin_url: AnyHttpUrl | None = None
    webhook_secret: str | None = Field(default=None, min_length=8, max_length=500)
    admin_token: str | None = Field(default=None, min_length=1, max_length=500)


class ConnectorOut(BaseModel):
    channel: str
    shop: str
    admin_url: str | None
    # Secrets never leave the service; only whether they are set.
    has_webhook_secret: bool
    has_admin_token: bool
    webhook_url: str


class SkuTargetIn(BaseModel):
    sku: Sku
    unit: Unit = Unit.pcs
    per_item: Quantity = Decimal(1)


# {external_sku: our_sku} or {external_sku: {sku, unit, per_item}}
SkuMapIn = dict[ExternalSku, Sku | SkuTargetIn]


class SkuMapOut(BaseModel):
    external_sku: str
    sku: str
    unit: str
    per_item: Decimal


class WebhookAccepted(BaseModel):
    status: str  # accepted | duplicate
    webhook_id: uuid.UUID
    order_id: str


class WebhookOut(BaseModel):
    webhook_id: uuid.UUID
    channel: str
    shop: str
    external_id: str
    order_id: str
    status: str
    reason: str | None
    deliveries: int
    received_at: datetime | None
    accepted_at: datetime | None


class FulfillmentOut(BaseModel):
    fulfillment_id: uuid.UUID
    shipment_id: str
    order_id: str
    channel: str
    shop: str
    external_id: str
    tracking_number: str
    tracking_company: str
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
