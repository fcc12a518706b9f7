"""Composition root: settings from the environment, the app, uvicorn."""

from __future__ import annotations

import uvicorn

from eventkit.tracing import setup_tracing
from gateway.app import create_app
from gateway.settings import Settings


def main() -> None:
    settings = Settings()
    # Process-wide (OpenTelemetry has one tracer provider per process), so here and not in create_app.
    setup_tracing(settings.service_name, settings.otel_exporter, settings.otel_spans_file, settings.otlp_traces_url())
    # uvicorn handles SIGTERM/SIGINT: stops accepting, lets running requests finish (up to the
    # grace period), then runs the lifespan exit, which closes the shared HTTP client.
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port,
                log_level="info", timeout_graceful_shutdown=10)
