"""The gateway's settings (env prefix GATEWAY_). It owns no database and nothing durable:
where the services' HTTP APIs live, which API keys may call it, and (for the live console)
where Kafka is, read as a read-only consumer."""

from __future__ import annotations

from enum import StrEnum

from pydantic_settings import SettingsConfigDict

from eventkit.settings import TelemetrySettings


class Role(StrEnum):
    operator = "operator"  # everything
    viewer = "viewer"  # GET only


class Settings(TelemetrySettings):  # + GATEWAY_OTEL_EXPORTER_OTLP_ENDPOINT, GATEWAY_OTEL_SPANS_FILE
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    http_host: str = "127.0.0.1"
    http_port: int = 8100

    orders_url: str = "http://127.0.0.1:8101"
    inventory_url: str = "http://127.0.0.1:8102"
    production_url: str = "http://127.0.0.1:8103"
    shipping_url: str = "http://127.0.0.1:8104"
    channels_url: str = "http://127.0.0.1:8105"
    purchasing_url: str = "http://127.0.0.1:8106"

    # API key -> role. From the environment as JSON: GATEWAY_API_KEYS='{"k1": "operator"}'.
    # The defaults are for a developer's machine only; set real keys in any deployment.
    api_keys: dict[str, Role] = {"dev-operator-key": Role.operator, "dev-viewer-key": Role.viewer}

    # Per-call timeouts towards the services: a slow service must not hang the console.
    connect_timeout: float = 2.0
    request_timeout: float = 10.0
    # Readiness probes of the downstream services answer fast or count as not ready.
    ready_timeout: float = 2.0
    # Orders' promise rules (handling days) as the quote adds them are asked for at most this
    # often (seconds; 0: on every quote). They change only when orders restarts with others.
    promise_rules_ttl: float = 30.0

    # The live console: events read from Kafka (no consumer group, no commits: the gateway
    # keeps nothing) and pushed to browsers as server-sent events. None: no live feed.
    kafka_bootstrap: str | None = None
    topic_prefix: str = ""
    # The local mail catcher's HTTP API (devstack): the console shows what was mailed.
    mailbox_url: str | None = "http://127.0.0.1:8026"
    # Time zone the console states times in (IANA name); the browser's own if empty.
    display_time_zone: str = ""

    def service_urls(self) -> dict[str, str]:
        return {
            "orders": self.orders_url,
            "inventory": self.inventory_url,
            "production": self.production_url,
            "shipping": self.shipping_url,
            "channels": self.channels_url,
            "purchasing": self.purchasing_url,
        }
