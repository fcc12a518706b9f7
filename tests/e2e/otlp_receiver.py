"""A minimal OTLP/HTTP trace receiver standing in for an OpenTelemetry collector: it accepts
`POST /v1/traces` with protobuf bodies (what opentelemetry-exporter-otlp-proto-http sends),
decodes them with opentelemetry-proto and keeps the spans for a test to look at."""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    kind: str  # SPAN_KIND_SERVER, SPAN_KIND_CONSUMER, ...
    trace_id: str
    span_id: str
    parent_id: str | None
    attributes: dict


def _value(any_value):
    field = any_value.WhichOneof("value")
    return getattr(any_value, field) if field else None


def decode(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest.FromString(body)
    out = []
    for rs in request.resource_spans:
        service = {kv.key: _value(kv.value) for kv in rs.resource.attributes}.get("service.name", "?")
        for ss in rs.scope_spans:
            for s in ss.spans:
                out.append(ReceivedSpan(
                    service=service, name=s.name, kind=Span.SpanKind.Name(s.kind), trace_id=s.trace_id.hex(),
                    span_id=s.span_id.hex(), parent_id=s.parent_span_id.hex() or None,
                    attributes={kv.key: _value(kv.value) for kv in s.attributes},
                ))
    return out


class OtlpReceiver:
    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.spans: list[ReceivedSpan] = []
        self.requests = 0
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path != "/v1/traces":
                    self.send_error(404)
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                try:
                    spans = decode(body)
                except Exception:  # a body that is not OTLP protobuf: what a collector answers
                    self.send_error(400)
                    return
                with lock:
                    receiver.spans.extend(spans)
                    receiver.requests += 1
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.url = f"http://{host}:{port}"

    def start(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
