"""The runtime every service process shares: migrations, the outbox relay, the event
consumer and the HTTP API in one asyncio loop, with health/readiness endpoints, Prometheus
metrics on /metrics (eventkit.metrics), traces (eventkit.tracing) and a graceful shutdown (SIGTERM/SIGINT: stop taking requests and messages, finish in-flight
handlers, commit offsets, flush the outbox, close)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.events import Event
from eventkit.consumer import EventConsumer, Handler
from eventkit.db import make_engine, make_sessions
from eventkit.errors import is_bad_value, is_transient
from eventkit.http_telemetry import instrument
from eventkit.metrics import ServiceMetrics
from eventkit.migrate import migrate
from eventkit.relay import OutboxRelay
from eventkit.retention import run_retention
from eventkit.settings import ServiceSettings
from eventkit.tracing import setup_tracing
from eventkit.unit_of_work import UnitOfWork

log = logging.getLogger("eventkit.service")


@dataclass
class Runtime:
    """What a service's API and background tasks get from the composition root."""

    settings: ServiceSettings
    engine: AsyncEngine
    uow: UnitOfWork
    producer: AIOKafkaProducer
    relay: OutboxRelay
    consumer: EventConsumer
    extras: dict = field(default_factory=dict)
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)


class _Server(uvicorn.Server):
    # The service owns signal handling (it must stop the consumer and relay too); uvicorn's
    # own handlers would re-raise the signal and kill the process before that.
    @contextlib.contextmanager
    def capture_signals(self):
        yield


class Service:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        handlers: dict[type[Event], Handler],
        http_app: Callable[[Runtime], FastAPI],
        migrations: Path | None = None,
        background: list[Callable[[Runtime], Awaitable[None]]] | None = None,
    ):
        self.settings = settings
        self.handlers = handlers
        self.http_app = http_app
        self.migrations = migrations
        self.background = background or []
        self._stop = asyncio.Event()

    def run(self) -> None:
        logging.basicConfig(
            level=logging.INFO, format=f"%(asctime)s %(levelname)s [{self.settings.service_name}] %(name)s: %(message)s"
        )
        logging.getLogger("aiokafka").setLevel(logging.WARNING)
        asyncio.run(self.serve())

    def request_stop(self) -> None:
        self._stop.set()

    async def serve(self) -> None:
        s = self.settings
        provider = setup_tracing(s.service_name, s.otel_exporter, s.otel_spans_file, s.otlp_traces_url())
        metrics = ServiceMetrics()  # this Service's own registry: services in one process never share one
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.request_stop)

        await self._retry("migrate database", lambda: migrate(s.database_url, self.migrations))
        engine = make_engine(s.database_url, s.db_pool_size)
        uow = UnitOfWork(make_sessions(engine), s.service_name, s.topic_prefix)
        producer = AIOKafkaProducer(
            bootstrap_servers=s.kafka_bootstrap,
            client_id=f"{s.service_name}-relay",
            enable_idempotence=True,  # implies acks=all; retries keep per-partition order
            acks="all",
            # No linger: the relay enqueues a batch's rows without yielding, so they share
            # produce requests anyway; a 1 ms linger cost 1.1-1.4 ms on every hop here
            # (idempotent acks=all send p50 2.2-2.4 ms at linger 0, 3.4-3.8 ms at 1).
            linger_ms=0,
            max_request_size=s.relay_max_request_size,
        )
        await self._retry("connect to Kafka", producer.start)
        relay = OutboxRelay(s.database_url, producer, batch_size=s.relay_batch_size, poll_interval=s.relay_poll_interval,
                            metrics=metrics)
        uow.events_committed = relay.wake
        consumer = _consumer_class(s)(s, uow, self.handlers, producer, metrics=metrics)
        metrics.observe(consumer, engine)
        rt = Runtime(s, engine, uow, producer, relay, consumer, metrics=metrics)

        app = self.http_app(rt)
        instrument(app, metrics)
        _add_health(app, rt)
        _add_bad_value_handler(app)
        server = _Server(uvicorn.Config(app, host=s.http_host, port=s.http_port, log_level="warning", lifespan="on"))

        tasks = [
            asyncio.create_task(relay.run() if s.relay_enabled else self._stop.wait(), name="relay"),
            asyncio.create_task(consumer.run(), name="consumer"),
            asyncio.create_task(server.serve(), name="http"),
            asyncio.create_task(run_retention(engine, s, self._stop), name="retention"),
        ] + [asyncio.create_task(job(rt), name=getattr(job, "__name__", "job")) for job in self.background]
        log.info("%s up: http://%s:%d, consuming %s", s.service_name, s.http_host, s.http_port, consumer.topics)

        stop_wait = asyncio.create_task(self._stop.wait())
        done, _ = await asyncio.wait([stop_wait, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for t in done:
            if t is not stop_wait and t.exception() is not None:
                log.error("%s: task %s failed: %r", s.service_name, t.get_name(), t.exception())
        log.info("%s: shutting down", s.service_name)
        server.should_exit = True
        await consumer.stop()  # in-flight handlers finish, offsets are committed
        await relay.stop()  # flushes what is committed in the outbox
        await asyncio.wait(tasks[:3], timeout=15)
        for t in tasks:
            if not t.done():
                t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()
        await engine.dispose()
        stop_wait.cancel()
        provider.shutdown()  # the spans still batched for a collector leave with the process
        log.info("%s: stopped", s.service_name)

    async def _retry(self, what: str, attempt: Callable[[], Awaitable[object]]) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                await attempt()
                return
            except (KafkaError, OSError) as exc:
                log.warning("%s: cannot %s yet (%s); retrying", self.settings.service_name, what, exc)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("%s: cannot %s yet (%s); retrying", self.settings.service_name, what, exc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 3.0)
        raise SystemExit(0)


def _consumer_class(settings: ServiceSettings) -> type[EventConsumer]:
    if settings.consumer_kind == "faststream":
        # Imported only when chosen: an experiment, not the default (docs/faststream.md).
        from eventkit.faststream_consumer import FastStreamEventConsumer

        return FastStreamEventConsumer
    return EventConsumer


def _add_bad_value_handler(app: FastAPI) -> None:
    """A value the request model let through but PostgreSQL will not take (a NUL character, a
    number beyond its column) is the caller's input: 422 with the reason, not a 500. A
    database that is unreachable, restarting or broke the connection (pooled connections are
    not pinged before use) is a 503 the caller may retry."""
    from sqlalchemy.exc import DBAPIError

    @app.exception_handler(DBAPIError)
    async def _unstorable_value(_, exc: DBAPIError) -> JSONResponse:
        if is_bad_value(exc):
            return JSONResponse({"detail": f"invalid value: {exc.orig}"}, status_code=422)
        if is_transient(exc):
            return JSONResponse({"detail": f"database unavailable, retry: {type(exc.orig).__name__}"},
                                status_code=503, headers={"Retry-After": "1"})
        raise exc


_PARKED = text(
    "SELECT id, topic, key, attempts, last_error FROM outbox "
    "WHERE parked_at IS NOT NULL AND published_at IS NULL ORDER BY id LIMIT 20"
)


def _add_health(app: FastAPI, rt: Runtime) -> None:
    @app.get("/health/live", tags=["health"])
    async def live() -> dict:
        return {"status": "alive", "service": rt.settings.service_name}

    @app.get("/health/ready", tags=["health"])
    async def ready() -> JSONResponse:
        checks = {"database": False, "kafka_consumer": rt.consumer.healthy or not rt.consumer.topics, "relay": rt.relay.healthy or not rt.settings.relay_enabled}
        parked: list[dict] = []
        try:
            async with rt.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2)
                checks["database"] = True
                parked = [dict(r._mapping) for r in await conn.execute(_PARKED)]
        except Exception:
            pass
        ok = all(checks.values())
        body = {
            "ready": ok,
            "checks": checks,
            "partitions": rt.consumer.assignment(),
            # Partitions held on one offset by failures, and for how many seconds; a message
            # is dead-lettered once stuck past stuck_dead_letter_after while the DB answers.
            "stuck_seconds": rt.consumer.stuck(),
            # Outbox rows the relay set aside (python -m eventkit.outbox list / unpark).
            "outbox_parked": parked,
            # Since this process started: what operators watch besides consumer lag.
            "events": {"handled": rt.consumer.handled, "duplicates_skipped": rt.consumer.duplicates,
                       "dead_lettered": rt.consumer.dead_lettered, "published": rt.relay.published},
        }
        return JSONResponse(body, status_code=200 if ok else 503)
