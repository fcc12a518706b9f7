"""The mechanics every shop stand-in shares: a threaded HTTP server on a free local port,
routes by method and path pattern, a record of every request, and a queue of forced answers
(to make the platform fail a few times)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    status: int = 0  # what the stand-in answered

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Call, re.Match], Answer]


class StandIn:
    """Subclasses register routes in `routes()`; unknown paths answer 404 like the platform."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.forced: list[Answer] = []  # answered (one each) before any route runs
        self.lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern, Route]] = []
        self.routes()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                call = Call(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                            {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
                answer = stand_in.dispatch(call)
                call.status = answer.status
                body = answer.body if isinstance(answer.body, bytes) else (
                    b"" if answer.body is None else json.dumps(answer.body).encode())
                self.send_response(answer.status)
                headers = {"Content-Type": "application/json", **answer.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval: shutdown() waits for it, and tests stop a stand-in each.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    # -- to override --------------------------------------------------------------------------
    def routes(self) -> None:
        """Register the platform's endpoints with `self.route(...)`."""

    # -- mechanics ----------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Route) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def dispatch(self, call: Call) -> Answer:
        with self.lock:
            self.calls.append(call)
            if self.forced:
                return self.forced.pop(0)
            for method, pattern, handler in self._routes:
                m = pattern.match(call.path)
                if m and method == call.method:
                    try:
                        return handler(call, m)
                    except Exception as exc:  # a stand-in bug must show, not hang the caller
                        return Answer(500, {"errors": f"stand-in error: {exc!r}"})
            return Answer(404, {"errors": "Not Found"})

    def fail_next(self, *statuses: int) -> None:
        with self.lock:
            self.forced.extend(Answer(s, {"errors": "forced failure"}) for s in statuses)

    def calls_to(self, method: str, path_pattern: str) -> list[Call]:
        pattern = re.compile(f"^{path_pattern}$")
        with self.lock:
            return [c for c in self.calls if c.method == method and pattern.match(c.path) and c.status < 400]

    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
