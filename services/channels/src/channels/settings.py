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

    # Key that encrypts connector secrets and tokens at rest. The default is for local
    # development only; a deployment sets its own (and keeps it: rows sealed with another key
    # cannot be read).
    secrets_key: str = "batchflow-development-only-key"
    # Where the shops reach us (the gateway): the connector shows the absolute webhook URL.
    public_base_url: str = "http://127.0.0.1:8100"
    # A rotated webhook secret stays valid this long (deliveries signed just before).
    secret_grace_seconds: float = 3600.0
    # Calls to the platforms' APIs.
    api_timeout: float = 10.0
    # Reconciliation: import orders modified since the last pass, every so often, with an
    # overlap so an order modified while the last pass ran is not missed.
    reconcile_interval: float = 900.0
    reconcile_overlap_seconds: float = 300.0
    reconcile_poll_interval: float = 5.0
    # After a failed scheduled pass the next one waits this long, doubling with each failure
    # in a row up to reconcile_interval (a connector with wrong credentials is not asked
    # every poll; an operator's change to the connector, or "import now", tries at once).
    reconcile_retry_initial: float = 30.0
    # Orders named by a thin notice (Etsy) are fetched by a background job.
    fetch_poll_interval: float = 0.5
    fetch_backoff_initial: float = 1.0
    fetch_backoff_max: float = 300.0
    fetch_max_attempts: int = 20
    # A fetch being made is leased to one instance for this long (then another may retry).
    fetch_lease_seconds: float = 60.0

    # Fulfillment sync to the shops' admin APIs.
    fulfillment_poll_interval: float = 0.5
    fulfillment_timeout: float = 10.0
    fulfillment_backoff_initial: float = 1.0
    fulfillment_backoff_max: float = 300.0
    # After this many failed attempts a fulfillment is `failed` (visible, no more retries).
    fulfillment_max_attempts: int = 20
