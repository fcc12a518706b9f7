"""Prometheus metrics of one service process, served as text on `/metrics` of its HTTP port.

Each `HttpMetrics`/`ServiceMetrics` owns its own registry (never the library's global one),
so two services or two test apps in one process do not collide, and nothing is registered
at import time. Counters and the histograms are updated where things happen (consumer,
relay, HTTP middleware); the gauges that describe state held elsewhere (consumer lag,
the outbox table) are sampled when scraped, so they are never staler than the scrape.

Names (all prefixed `batchflow_`):
- `http_requests_total{method,route,status}`, `http_request_duration_seconds{method,route}`:
  route is the path template (`/orders/{order_id}`), so ids do not explode the series.
- `events_handled_total{event_type,outcome}`: outcome is applied, duplicate (skipped by the
  inbox), dead_lettered, or retried (one per failed attempt that is tried again).
- `handler_duration_seconds{event_type}`: inbox claim + handler + commit of applied events.
- `consumer_lag{topic,partition}`: messages behind the high watermark, per owned partition.
- `consumer_stuck_seconds{topic,partition}`: how long a partition has been held on one
  offset by failures (absent when none is).
- `dead_letters_total{topic}`: dead letters this instance wrote, by original topic.
- `outbox_published_total`, `outbox_parked_total`: rows this instance's relay published/parked.
- `outbox_backlog`, `outbox_oldest_unpublished_age_seconds`, `outbox_parked`: the database's
  outbox as the relay sees it (the same figures from every instance of a service: one table).
- `metrics_sample_failures_total{what}`: a scrape-time sample that could not be taken (the
  database did not answer): its gauges keep their previous value.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST, GCCollector, PlatformCollector, ProcessCollector
from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from eventkit.consumer import EventConsumer

log = logging.getLogger("eventkit.metrics")

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Saga handlers take milliseconds to a second or two; beyond that the tail is what matters.
_HANDLER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

# Partial index outbox_unpublished (eventkit.migrate) keeps this to the unpublished rows.
_OUTBOX_STATE = text(
    "SELECT count(*) FILTER (WHERE parked_at IS NULL) AS backlog, "
    "       extract(epoch FROM now() - min(created_at) FILTER (WHERE parked_at IS NULL)) AS oldest_age, "
    "       count(*) FILTER (WHERE parked_at IS NOT NULL) AS parked "
    "FROM outbox WHERE published_at IS NULL"
)


class HttpMetrics:
    """The registry of a process that serves HTTP (every service, the gateway), with the
    process' own CPU/memory/GC figures."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        ProcessCollector(registry=r)  # reads /proc when scraped, not now
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        self.http_requests = Counter("batchflow_http_requests", "HTTP requests answered, by route template and status.",
                                     ["method", "route", "status"], registry=r)
        self.http_seconds = Histogram("batchflow_http_request_duration_seconds",
                                      "Time from request to the end of the response body.", ["method", "route"],
                                      registry=r)
        self.sample_failures = Counter("batchflow_metrics_sample_failures",
                                       "Scrape-time samples that could not be taken (gauges kept their last value).",
                                       ["what"], registry=r)

    async def exposition(self) -> bytes:
        return generate_latest(self.registry)


class ServiceMetrics(HttpMetrics):
    """Adds what a message-driven service reports: its consumer, dead letters, relay and outbox."""

    def __init__(self) -> None:
        super().__init__()
        r = self.registry
        self.events = Counter("batchflow_events_handled", "Events taken from Kafka, by type and outcome "
                              "(applied, duplicate, dead_lettered, retried).", ["event_type", "outcome"], registry=r)
        self.handler_seconds = Histogram("batchflow_handler_duration_seconds",
                                         "Inbox claim + handler + commit of an applied event.", ["event_type"],
                                         buckets=_HANDLER_BUCKETS, registry=r)
        self.dead_letters = Counter("batchflow_dead_letters", "Dead letters written by this instance, by original topic.",
                                    ["topic"], registry=r)
        self.consumer_lag = Gauge("batchflow_consumer_lag", "Messages between this instance's position and the "
                                  "partition's high watermark, per owned partition.", ["topic", "partition"], registry=r)
        self.consumer_stuck = Gauge("batchflow_consumer_stuck_seconds", "Seconds a partition has been held on one "
                                    "offset by failures.", ["topic", "partition"], registry=r)
        self.outbox_published = Counter("batchflow_outbox_published", "Outbox rows this instance's relay published.",
                                        registry=r)
        self.outbox_parked_total = Counter("batchflow_outbox_parked", "Outbox rows this instance's relay parked "
                                           "(unpublishable; see python -m eventkit.outbox).", registry=r)
        self.outbox_backlog = Gauge("batchflow_outbox_backlog", "Unpublished, unparked outbox rows of the service's "
                                    "database.", registry=r)
        self.outbox_oldest_age = Gauge("batchflow_outbox_oldest_unpublished_age_seconds", "Age of the oldest "
                                       "unpublished, unparked outbox row (0 when there is none).", registry=r)
        self.outbox_parked = Gauge("batchflow_outbox_parked_rows", "Parked outbox rows waiting for an operator.",
                                   registry=r)
        self._consumer: EventConsumer | None = None
        self._engine: AsyncEngine | None = None

    def observe(self, consumer: EventConsumer | None, engine: AsyncEngine | None) -> None:
        """What to sample at scrape time (the runtime wires these once they exist)."""
        self._consumer, self._engine = consumer, engine

    async def exposition(self) -> bytes:
        await asyncio.gather(self._sample_consumer(), self._sample_outbox())
        return await super().exposition()

    async def _sample_consumer(self) -> None:
        if self._consumer is None:
            return
        # Cleared first: a partition this instance gave up in a rebalance is no longer its to report.
        self.consumer_lag.clear()
        for (topic, partition), lag in (await self._consumer.lag()).items():
            self.consumer_lag.labels(topic, str(partition)).set(lag)
        self.consumer_stuck.clear()
        for tp, seconds in self._consumer.stuck().items():
            topic, _, partition = tp.rpartition(":")
            self.consumer_stuck.labels(topic, partition).set(seconds)

    async def _sample_outbox(self) -> None:
        if self._engine is None:
            return
        try:
            async with self._engine.connect() as conn:
                row = (await asyncio.wait_for(conn.execute(_OUTBOX_STATE), timeout=2)).one()
        except Exception as exc:  # a scrape must answer even while the database does not
            log.debug("metrics: outbox sample failed: %s", exc)
            self.sample_failures.labels("outbox").inc()
            return
        self.outbox_backlog.set(row.backlog)
        self.outbox_oldest_age.set(float(row.oldest_age or 0.0))
        self.outbox_parked.set(row.parked)
