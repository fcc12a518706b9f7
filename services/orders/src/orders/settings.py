"""The orders service's settings (env prefix ORDERS_)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eventkit import ServiceSettings


DEFAULT_MAX_LINE_QUANTITY = Decimal(100_000)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    service_name: str = "orders"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/orders"
    http_port: int = 8101
    # Days between goods being ready (allocated, or a batch's planned end) and dispatch.
    handling_days: int = Field(default=1, ge=0)
    # Plausibility bound of one order line in the item's base unit, for items without their
    # own bound (ItemDefined.max_order_quantity; the smaller wins). Beyond it: 422 / review.
    max_line_quantity: Decimal = Field(default=DEFAULT_MAX_LINE_QUANTITY, gt=0)
