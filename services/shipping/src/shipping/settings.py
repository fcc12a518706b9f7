"""Everything the shipping service can be configured with (env prefix SHIPPING_)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, SecretStr
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

    # Labels and packing slips (documents.py): the maker's address is the parcel's ship-from.
    ship_from_name: str = "batchflow manufacturer"
    ship_from_company: str | None = None
    ship_from_street1: str = "1 Factory Lane"
    ship_from_street2: str | None = None
    ship_from_city: str = "Springfield"
    ship_from_zip: str = "00000"
    ship_from_state: str | None = None
    ship_from_country: str = "US"
    ship_from_phone: str | None = None
    ship_from_email: str | None = None
    # The parcel's weight (domain/parcel.py). Shipping learns no item weights from inventory
    # (ItemDefined carries none), so: lines in g/kg weigh their quantity, lines in mL/L their
    # volume times `liquid_density_g_per_ml`, pieces `item_weights_g[sku]` each (JSON object in
    # SHIPPING_ITEM_WEIGHTS_G) or `piece_weight_g`; plus the box (`packaging_weight_g`).
    item_weights_g: dict[str, Decimal] = Field(default_factory=dict)
    piece_weight_g: Decimal = Field(default=Decimal(250), ge=0)
    liquid_density_g_per_ml: Decimal = Field(default=Decimal(1), gt=0)
    packaging_weight_g: Decimal = Field(default=Decimal(150), ge=0)

    # EasyPost (carriers/easypost.py): labels bought through its API, tracking by its webhooks.
    # No key: buying a label answers 503 (the carrier is not configured). Secrets are never echoed.
    easypost_api_url: str = "https://api.easypost.com/v2"
    easypost_api_key: SecretStr | None = None
    easypost_webhook_secret: SecretStr | None = None
    easypost_timeout: float = Field(default=30.0, gt=0)
