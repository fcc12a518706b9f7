"""The inventory service's settings: everything comes from `INVENTORY_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eventkit import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", extra="ignore")

    service_name: str = "inventory"
    http_port: int = 8102
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/inventory"
    # Reorder rules are checked after every event that moves stock; what moves a position
    # without an event (a lot expiring overnight) is caught by a review this often (0: never).
    reorder_review_seconds: float = Field(default=3600.0, ge=0)
