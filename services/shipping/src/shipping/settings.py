"""Everything the shipping service can be configured with (env prefix SHIPPING_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eventkit import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SHIPPING_", extra="ignore")

    service_name: str = "shipping"
    http_port: int = 8104
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/shipping"

    # Customer notifications go out over plain SMTP (a relay or a local MTA).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_from: str = "shipping@batchflow.local"
    smtp_timeout: float = 10.0
    # The order confirmation waits this long (seconds) for the order's first date (orders
    # dates it a moment after placement); past it, it says that the date follows.
    confirmation_wait: float = Field(default=60.0, ge=0)
    # Where customers open their private status page (the gateway's /track/{token}).
    public_base_url: str = "http://127.0.0.1:8100"
    # The sender wakes on every ship commit; the poll is only the fallback (other instances,
    # recipients that became known, retries whose backoff ran out).
    notify_poll_interval: float = 0.5
    notify_backoff_initial: float = 1.0
    notify_backoff_max: float = 300.0
    # After this many failed attempts a notification is `failed` (visible; retried by hand).
    notify_max_attempts: int = Field(default=12, ge=1)
