"""SQLModel mappings of the tables created by migrations/ (0001_init, 0002_shop_orders,
0003_reconcile_backoff, 0004_catalog)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, DateTime, LargeBinary, Numeric, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel


def _ts() -> Column:
    return Column(DateTime(timezone=True))


class Connector(SQLModel, table=True):
    __tablename__ = "connectors"

    channel: str = Field(primary_key=True)
    shop: str = Field(primary_key=True)
    admin_url: str | None = None  # the platform API's base URL
    enabled: bool = True
    shop_id: str | None = None
    # Secrets: encrypted by channels.secrets before they are stored (never plain text here).
    webhook_secret: str | None = None
    admin_token: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    token_expires_at: datetime | None = Field(default=None, sa_column=_ts())
    previous_secret: str | None = None
    previous_secret_until: datetime | None = Field(default=None, sa_column=_ts())
    rules: Any = Field(default=None, sa_column=Column(JSONB))
    reconcile_from: datetime | None = Field(default=None, sa_column=_ts())
    reconciled_at: datetime | None = Field(default=None, sa_column=_ts())
    reconcile_error: str | None = None
    reconcile_failures: int = 0  # consecutive failed passes (scheduled ones back off)
    reconcile_failed_at: datetime | None = Field(default=None, sa_column=_ts())
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class SkuMapEntry(SQLModel, table=True):
    __tablename__ = "sku_map"

    channel: str = Field(primary_key=True)
    shop: str = Field(primary_key=True)
    match_on: str = Field(default="sku", primary_key=True)  # sku | product | variant
    external_sku: str = Field(primary_key=True)  # the shop's SKU, product id or variant id
    sku: str | None = None
    ignore: bool = False  # "not goods": the line is dropped from the order
    unit: str = "pcs"
    per_item: Decimal = Field(default=Decimal(1), sa_column=Column(Numeric(18, 6)))
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class ShopOrderRow(SQLModel, table=True):
    """One shop order: its newest version from the platform and what intake made of it."""

    __tablename__ = "shop_orders"

    shop_order_id: uuid.UUID = Field(primary_key=True)
    channel: str
    shop: str
    external_id: str
    order_id: str
    status: str
    reason: str | None = None
    raw_body: bytes = Field(sa_column=Column(LargeBinary))
    lines: Any = Field(default=None, sa_column=Column(JSONB))
    deliveries: int = 1
    received_at: datetime | None = Field(default=None, sa_column=_ts())
    accepted_at: datetime | None = Field(default=None, sa_column=_ts())
    reference: str | None = None
    platform_status: str | None = None
    platform_updated_at: datetime | None = Field(default=None, sa_column=_ts())
    source: str = "webhook"
    cancelled_at: datetime | None = Field(default=None, sa_column=_ts())
    attention: str | None = None
    # needs_mapping: the upper-case SKUs of the lines nobody mapped (an item defined with one
    # of them releases the order); None for orders parked before 0004_catalog.
    unmapped_skus: list[str] | None = Field(default=None, sa_column=Column(ARRAY(Text)))
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class CatalogItemRow(SQLModel, table=True):
    """Our catalog as inventory last defined each item (ItemDefined, highest revision kept)."""

    __tablename__ = "catalog_items"

    sku: str = Field(primary_key=True)
    name: str
    kind: str  # raw | finished | intermediate
    base_unit: str
    sellable: bool
    active: bool
    revision: int
    updated_at: datetime | None = Field(default=None, sa_column=_ts())


class DeliveryRow(SQLModel, table=True):
    __tablename__ = "deliveries"

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    shop: str
    delivery_id: str | None = None
    topic: str | None = None
    external_id: str | None = None
    outcome: str
    detail: str | None = None
    received_at: datetime | None = Field(default=None, sa_column=_ts())
    repeats: int = 0


class OrderFetch(SQLModel, table=True):
    __tablename__ = "order_fetches"

    channel: str = Field(primary_key=True)
    shop: str = Field(primary_key=True)
    external_id: str = Field(primary_key=True)
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts())
    last_error: str | None = None
    created_at: datetime | None = Field(default=None, sa_column=_ts())


class Fulfillment(SQLModel, table=True):
    __tablename__ = "fulfillments"

    fulfillment_id: uuid.UUID = Field(primary_key=True)
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
    line_items: Any = Field(default=None, sa_column=Column(JSONB))
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts())
    last_error: str | None = None
    created_at: datetime | None = Field(default=None, sa_column=_ts())
    synced_at: datetime | None = Field(default=None, sa_column=_ts())
