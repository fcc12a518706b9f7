"""HTTP metrics for every FastAPI app of the system (the services and the gateway): an ASGI
middleware that counts requests by route template and status and times them, and the
`/metrics` route.

HTTP spans are not made here: FastAPI (0.143+) makes its own server span per request once a
tracer provider is set (eventkit.tracing.setup_tracing), continuing the caller's W3C
`traceparent`, so the gateway's call to a service joins the operator request's trace. A span
of ours as well would only be a duplicate sibling of FastAPI's."""

from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eventkit.metrics import CONTENT_TYPE, HttpMetrics

# Requests no route matched (404s, scanners): one series for all of them, not one per path.
UNMATCHED = "unmatched"


def route_of(scope: Scope) -> str:
    """The path template the router matched (`/orders/{order_id}`, a mount's prefix), known
    once the app has routed the request: the router writes it into the shared scope."""
    return getattr(scope.get("route"), "path", None) or UNMATCHED


class HttpMetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        started = time.perf_counter()
        status: int | None = None

        # Counted when the response starts, so a long server-sent event stream shows up while open.
        def count(code: int) -> None:
            self.metrics.http_requests.labels(method, route_of(scope), str(code)).inc()

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                count(status)
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        except BaseException:
            if status is None:  # the server answers 500 for an app that raised before answering
                count(500)
            raise
        finally:
            self.metrics.http_seconds.labels(method, route_of(scope)).observe(time.perf_counter() - started)


def instrument(app: FastAPI, metrics: HttpMetrics) -> None:
    """Count and time every request of `app`, and serve `metrics` on `/metrics` (no API key:
    a scraper has none; it exposes counts, never payloads)."""
    app.add_middleware(HttpMetricsMiddleware, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE)
