"""The settings every service shares. Each service subclasses `ServiceSettings` with its own
env prefix (ORDERS_, INVENTORY_...), so one typed object holds all of a service's settings."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SERVICE_", extra="ignore")

    service_name: str = "service"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5433/postgres"
    kafka_bootstrap: str = "127.0.0.1:9092"
    # Namespace on a shared cluster: topics become `<prefix>.<name>` (empty in production).
    topic_prefix: str = ""
    # Defaults to the service name; two instances with the same group split the partitions.
    consumer_group: str | None = None
    # Names this instance among its service's instances (e.g. a StatefulSet ordinal, "a"/"b"):
    # set, it makes the consumer a static member of its group, so a restart within the
    # session timeout gets its partitions back without a rebalance of the whole group.
    # Must be unique among running instances (a duplicate fences the other one out).
    instance_id: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8000

    # Failures: a handler error is retried this many times, then the message is dead-lettered.
    max_attempts: int = 5
    retry_backoff_initial: float = 0.1
    retry_backoff_max: float = 5.0
    # An error classed transient (database down...) is retried without moving the offset;
    # after this many seconds stuck on one message while the database answers, the error is
    # taken for the message's own and the message is dead-lettered.
    stuck_dead_letter_after: float = 300.0

    # Relay: woken by LISTEN/NOTIFY on commit; the poll interval is only the fallback.
    # Off only for tests that need an event to stay committed-but-unpublished (crash window).
    relay_enabled: bool = True
    relay_batch_size: int = 500
    relay_poll_interval: float = 1.0
    # The largest message the relay's producer sends (keep it at most the broker's
    # message.max.bytes); a bigger outbox row is parked, not retried.
    relay_max_request_size: int = 1_048_576

    # Retention, run by every instance in the background: published outbox rows are kept
    # this many hours, inbox rows (the duplicate filter) this many days; the inbox must
    # outlive any redelivery (topic retention, DLT replays). Deleted in small batches.
    outbox_retention_hours: float = 24.0
    inbox_retention_days: float = 14.0
    retention_interval: float = 600.0
    retention_batch_size: int = 1000

    db_pool_size: int = 10

    # Tracing: "none", "console", or a file path for JSON lines (used by the end-to-end tests).
    otel_exporter: str = "none"
    otel_spans_file: str | None = None

    @property
    def group_id(self) -> str:
        return self.consumer_group or self.service_name

    @property
    def group_instance_id(self) -> str | None:
        return f"{self.group_id}-{self.instance_id}" if self.instance_id else None
