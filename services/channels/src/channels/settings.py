"""Everything the channels service can be configured with (env prefix CHANNELS_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from eventkit import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CHANNELS_", extra="ignore")

    service_name: str = "channels"
    http_port: int = 8105
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/channels"

    # Largest webhook body accepted (shop orders are a few KB; this bounds abuse).
    webhook_max_bytes: int = 1_000_000

    # Fulfillment sync to the shops' admin APIs.
    fulfillment_poll_interval: float = 0.5
    fulfillment_timeout: float = 10.0
    fulfillment_backoff_initial: float = 1.0
    fulfillment_backoff_max: float = 300.0
    # After this many failed attempts a fulfillment is `failed` (visible, no more retries).
    fulfillment_max_attempts: int = 20
