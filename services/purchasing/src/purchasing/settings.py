"""Everything the purchasing service can be configured with (env prefix PURCHASING_)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eventkit import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PURCHASING_", extra="ignore")

    service_name: str = "purchasing"
    http_port: int = 8106
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/purchasing"

    # Over-receipt allowed per PO line, as a fraction of its quantity (0.05 = 5 %). Sent with
    # each PO (PurchaseOrderPlaced.receipt_tolerance): inventory refuses receipts beyond it,
    # and a later change of this setting does not move the goalposts of POs already sent.
    receipt_tolerance: Decimal = Field(default=Decimal("0.05"), ge=0, le=1)
    # Purchase order numbers: <prefix>000001.
    po_prefix: str = "PO-"
    # Currency of prices and POs when a supplier's terms name none.
    default_currency: str = Field(default="EUR", min_length=3, max_length=3)
