"""The settings every service shares. Each service subclasses `ServiceSettings` with its own
env prefix (ORDERS_, INVENTORY_...), so one typed object holds all of a service's settings."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class _StandardOtlp(BaseSettings):
    """OpenTelemetry's own variables (OTEL_EXPORTER_OTLP_ENDPOINT, ..._TRACES_ENDPOINT), the
    names collectors' docs and operators already use; read only when no prefixed one is set."""

    model_config = SettingsConfigDict(env_prefix="OTEL_EXPORTER_OTLP_", extra="ignore")

    endpoint: str | None = None
    traces_endpoint: str | None = None


class TelemetrySettings(BaseSettings):
    """Where a process' spans go; shared by the services and the gateway (each subclass has
    its own env prefix, e.g. ORDERS_OTEL_EXPORTER_OTLP_ENDPOINT)."""

    # "none", "console", or "otlp" (OTLP to the endpoint below, else OpenTelemetry's default
    # http://localhost:4318). An endpoint alone turns OTLP on.
    otel_exporter: str = "none"
    # OTLP/HTTP base URL of a collector (http://otel-collector:4318); spans go to <it>/v1/traces.
    # Unset: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (full URL) or OTEL_EXPORTER_OTLP_ENDPOINT (base).
    otel_exporter_otlp_endpoint: str | None = None
    # Spans as JSON lines in this file (the end-to-end tests read them), beside any exporter.
    otel_spans_file: str | None = None

    def otlp_traces_url(self) -> str | None:
        """The URL OTLP spans are POSTed to, or None when OTLP export is off."""
        if self.otel_exporter_otlp_endpoint:
            return _traces_path(self.otel_exporter_otlp_endpoint)
        standard = _StandardOtlp()
        if standard.traces_endpoint:
            return standard.traces_endpoint
        if standard.endpoint:
            return _traces_path(standard.endpoint)
        return "http://localhost:4318/v1/traces" if self.otel_exporter == "otlp" else None


def _traces_path(base: str) -> str:
    return base.rstrip("/") + "/v1/traces"


class ServiceSettings(TelemetrySettings):
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
    # How long the broker waits for a silent member before it gives its partitions to others;
    # for a static member it is the window in which a restarted instance takes its own
    # partitions back without a rebalance (a longer one: slower to notice a real death).
    consumer_session_timeout_ms: int = 10_000
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
    # Handlers applied at once by the consumer, each on its own key (swimlanes): a slow key
    # holds back only itself. Each takes a database connection while it runs.
    consumer_concurrency: int = 8
    # Applied offsets are committed at most this often (and always when partitions are given
    # up or the service stops): each commit is a write to Kafka's offsets log, and one per
    # fetch round cost Kafka more CPU than the events themselves at a steady trickle. A crash
    # re-reads at most this much more (the inbox makes that harmless). 0: every fetch round.
    consumer_commit_interval: float = 1.0
    # Who fetches for the consumer: "aiokafka" (the kit's own loop) or "faststream" (a FastStream
    # batch subscriber feeding the same lanes; an experiment, see docs/faststream.md).
    consumer_kind: Literal["aiokafka", "faststream"] = "aiokafka"
    # The FastStream consumer's wait for records per fetch; FastStream sleeps as long again
    # after an empty fetch, which adds up to this much latency at low load.
    faststream_batch_timeout_ms: int = 200

    # Relay: woken by its process's commits and by LISTEN/NOTIFY; the poll interval is only the fallback.
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

    @property
    def group_id(self) -> str:
        return self.consumer_group or self.service_name

    @property
    def group_instance_id(self) -> str | None:
        return f"{self.group_id}-{self.instance_id}" if self.instance_id else None
