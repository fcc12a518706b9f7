"""The gateway application: auth, the composed operator API, the web console (static files
under /console, served at /), the API docs with their assets served locally (no CDN), and
the live feed. `create_app()` does no I/O; the shared httpx client and the Kafka reader of
the live feed are made in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from eventkit.http_telemetry import instrument
from eventkit.metrics import HttpMetrics
from eventkit.tracing import inject_trace_headers

from gateway.downstream import Downstream
from gateway.errors import validation_error
from gateway.live import LiveFeed
from gateway.routes import (
    channels, console, health, inventory, orders, production, promising, purchasing, shipping, track,
)
from gateway.settings import Settings

_CONSOLE = Path(__file__).parent / "static" / "console"


def _docs_assets() -> Path:
    import importlib.resources

    return Path(str(importlib.resources.files("fastapi_offline") / "static"))


async def _traced(request: httpx.Request) -> None:
    inject_trace_headers(request.headers)


def create_app(settings: Settings | None = None, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """`transport` replaces the network (tests route each service's base URL to a stub app)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = httpx.Timeout(settings.request_timeout, connect=settings.connect_timeout)
        # Idle connections are dropped before the services' uvicorn closes them (its keep-alive
        # timeout is 5 s, httpx's default expiry too): reusing one the service is closing at that
        # moment fails with "Server disconnected" and the operator would get a spurious 503.
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=2.0)
        # Every call to a service carries the operator request's trace context: one trace per order.
        hooks = {"request": [_traced]}
        async with httpx.AsyncClient(timeout=timeout, limits=limits, transport=transport, event_hooks=hooks) as client:
            app.state.downstream = Downstream(client, settings.service_urls())
            if settings.kafka_bootstrap:
                app.state.live = LiveFeed(settings.kafka_bootstrap, settings.topic_prefix)
                app.state.live.start()
            try:
                yield
            finally:
                if app.state.live is not None:
                    await app.state.live.stop()

    app = FastAPI(
        title="batchflow gateway",
        version="1.0.0",
        summary="Operator API of batchflow: orders from receipt to shipment for batch manufacturers.",
        description="Every `/api` call needs an `X-API-Key` header (operator: everything; viewer: GET only). "
        "A service's 4xx answer is passed through; a service that cannot be reached gives 503 naming it.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.live = None
    app.add_exception_handler(RequestValidationError, validation_error)
    # promising first: its /api/orders/stuck must win over orders' /api/orders/{order_id}.
    for module in (promising, orders, inventory, production, shipping, purchasing, channels, console):
        app.include_router(module.router)
    app.include_router(channels.webhooks)
    # The customers' status page: its own token instead of an API key.
    app.include_router(track.public)
    app.include_router(track.router)
    app.include_router(shipping.webhooks)
    app.include_router(health.router)
    # Request counts by route and status, spans, and /metrics outside the API-key guard.
    instrument(app, HttpMetrics())

    app.mount("/console", StaticFiles(directory=_CONSOLE), name="console")
    app.mount("/docs-assets", StaticFiles(directory=_docs_assets()), name="docs-assets")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(_CONSOLE / "index.html", media_type="text/html")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="batchflow gateway API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon.png")

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="batchflow gateway API",
                              redoc_js_url="/docs-assets/redoc.standalone.js",
                              redoc_favicon_url="/docs-assets/favicon.png", with_google_fonts=False)

    return app

