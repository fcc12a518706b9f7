"""OpenTelemetry: one trace per order across every service hop.

The trace context is captured when an event is written to the outbox (so it is the context
of the handler or command that raised it) and sent as W3C `traceparent` headers by the
relay; the consumer continues the trace from those headers. Over HTTP the same header travels
from the gateway to a service (`inject_trace_headers`, `eventkit.http_telemetry`).

Spans go to an OTLP/HTTP collector when an endpoint is configured (TelemetrySettings) and/or
to a JSON-lines file; with neither they are made and dropped."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, MutableMapping, Sequence

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()


class JsonLinesExporter(SpanExporter):
    """Writes finished spans as JSON lines to a file; the end-to-end tests read them to check
    that an order's saga is one trace."""

    def __init__(self, path: str):
        self._path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for s in spans:
            ctx = s.get_span_context()
            lines.append(
                json.dumps(
                    {
                        "name": s.name,
                        "trace_id": format(ctx.trace_id, "032x"),
                        "span_id": format(ctx.span_id, "016x"),
                        "parent_id": format(s.parent.span_id, "016x") if s.parent else None,
                        "service": s.resource.attributes.get("service.name"),
                        "attributes": {k: str(v) for k, v in (s.attributes or {}).items()},
                    }
                )
            )
        with self._lock, open(self._path, "a") as f:
            f.write("\n".join(lines) + "\n")
        return SpanExportResult.SUCCESS


def setup_tracing(service_name: str, exporter: str = "none", spans_file: str | None = None,
                  otlp_url: str | None = None) -> TracerProvider:
    """Install the process' tracer provider. `otlp_url` is the full traces URL
    (TelemetrySettings.otlp_traces_url()); None: no OTLP export."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if spans_file:
        # Simple (synchronous) processor: a SIGKILLed process must not lose buffered spans
        # the tests are about to look for.
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(spans_file)))
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    if otlp_url:
        # Imported here: the exporter pulls in protobuf and requests, unused when OTLP is off.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # Batched, off the event loop; OTEL_BSP_* tune it, OTEL_EXPORTER_OTLP_HEADERS etc. apply.
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_url)))
    trace.set_tracer_provider(provider)
    return provider


def tracer() -> trace.Tracer:
    return trace.get_tracer("eventkit")


def current_trace_headers() -> dict[str, str]:
    """The W3C trace context of the current span, to store with an outgoing event."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier


def inject_trace_headers(headers: MutableMapping[str, str]) -> None:
    """Add the current span's `traceparent` to outgoing HTTP request headers."""
    _propagator.inject(headers)


def context_from_headers(headers: Iterable[tuple[str, bytes]] | Mapping[str, str]) -> otel_context.Context:
    if isinstance(headers, Mapping):
        carrier = dict(headers)
    else:
        carrier = {k: v.decode("utf-8", "replace") for k, v in headers if v is not None}
    return _propagator.extract(carrier)
