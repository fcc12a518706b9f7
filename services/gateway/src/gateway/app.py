"""The gateway application: auth, the composed operator API, the web console.
`create_app()` does no I/O; the shared httpx client is made in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse

from gateway.downstream import Downstream
from gateway.errors import validation_error
from gateway.routes import channels, health, inventory, orders, production, shipping
from gateway.settings import Settings

_CONSOLE = Path(__file__).parent / "static" / "console.html"


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
        async with httpx.AsyncClient(timeout=timeout, limits=limits, transport=transport) as client:
            app.state.downstream = Downstream(client, settings.service_urls())
            yield

    app = FastAPI(
        title="batchflow gateway",
        version="1.0.0",
        summary="Operator API of batchflow: orders from receipt to shipment for batch manufacturers.",
        description="Every `/api` call needs an `X-API-Key` header (operator: everything; viewer: GET only). "
        "A service's 4xx answer is passed through; a service that cannot be reached gives 503 naming it.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_exception_handler(RequestValidationError, validation_error)
    for module in (orders, inventory, production, shipping, channels):
        app.include_router(module.router)
    app.include_router(channels.webhooks)
    app.include_router(health.router)

    @app.get("/", include_in_schema=False)
    async def console() -> FileResponse:
        return FileResponse(_CONSOLE, media_type="text/html")

    return app

