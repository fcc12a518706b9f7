"""Everything the production service can be configured with (env prefix PRODUCTION_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eventkit import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PRODUCTION_", extra="ignore")

    service_name: str = "production"
    http_port: int = 8103
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/production"

    # Capacity of the plant: how many batches may be planned to start on one day.
    batches_per_day: int = Field(default=4, ge=1)
    # How far ahead GET /capacity looks by default.
    capacity_horizon_days: int = Field(default=14, ge=1, le=366)
