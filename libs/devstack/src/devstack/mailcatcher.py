"""A mail catcher for the local system: a real SMTP listener (aiosmtpd) that keeps every
message it accepts, and a small read-only HTTP API to read them back (`GET /messages`), so
the customer e-mails of `make run` really leave the shipping service and an operator (or the
console, through the gateway) can read what was sent to whom.

Messages are kept in memory and, given a file, appended to it as JSON lines so a restart of
the stack keeps the history.

In a container (docker-compose.yml) it runs on its own, listening on every interface:

    python -m devstack.mailcatcher --host 0.0.0.0 --smtp-port 1025 --http-port 8025
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from datetime import datetime, timezone
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller


def _text(value: str | None) -> str | None:
    return None if value is None else str(make_header(decode_header(value)))


class Mailbox:
    """aiosmtpd handler keeping every message it accepts (newest last)."""

    def __init__(self, path: Path | None = None) -> None:
        self.messages: list[dict[str, Any]] = []
        self._path = path
        self._lock = threading.Lock()
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                if line.strip():
                    self.messages.append(json.loads(line))

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        msg = message_from_bytes(envelope.content)
        part = msg if not msg.is_multipart() else msg.get_payload(0)
        body = part.get_payload(decode=True) or b""
        kept = {
            "id": len(self.messages) + 1,
            "received_at": datetime.now(timezone.utc).isoformat(),
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "subject": _text(msg["Subject"]),
            "body": body.decode(part.get_content_charset() or "utf-8", "replace"),
        }
        with self._lock:
            self.messages.append(kept)
            if self._path is not None:
                with self._path.open("a") as f:
                    f.write(json.dumps(kept) + "\n")
        return "250 OK"

    def newest(self, to: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            found = [m for m in self.messages if to is None or any(to.lower() == r.lower() for r in m["to"])]
        return list(reversed(found))[:limit]


class MailCatcher:
    """SMTP on `smtp_port`, the messages as JSON on `http_port`, both on `host` (loopback
    unless a container needs it reachable from its network)."""

    def __init__(self, smtp_port: int, http_port: int, path: Path | None = None, host: str = "127.0.0.1") -> None:
        self.mailbox = Mailbox(path)
        self.smtp_port, self.http_port, self.host = smtp_port, http_port, host
        self._smtp = Controller(self.mailbox, hostname=host, port=smtp_port)
        mailbox = self.mailbox

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                parts = urlsplit(self.path)
                if parts.path == "/health":
                    self._json(200, {"status": "ok"})
                elif parts.path == "/messages":
                    q = parse_qs(parts.query)
                    try:
                        limit = max(1, min(int(q.get("limit", ["100"])[0]), 1000))
                    except ValueError:
                        return self._json(422, {"detail": "limit must be a whole number"})
                    self._json(200, mailbox.newest(q.get("to", [None])[0], limit))
                else:
                    self._json(404, {"detail": "not found"})

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self._http = ThreadingHTTPServer((host, http_port), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{'127.0.0.1' if self.host in ('0.0.0.0', '') else self.host}:{self.http_port}"

    def start(self) -> MailCatcher:
        self._smtp.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._smtp.stop()
        self._http.shutdown()
        self._http.server_close()


def main(argv: list[str] | None = None) -> None:
    """Run the catcher in the foreground until SIGTERM/SIGINT (a container's whole job)."""
    ap = argparse.ArgumentParser(description="SMTP mail catcher with its messages as JSON over HTTP")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--smtp-port", type=int, default=8025)
    ap.add_argument("--http-port", type=int, default=8026)
    ap.add_argument("--file", type=Path, help="append messages here as JSON lines (kept across restarts)")
    args = ap.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    catcher = MailCatcher(args.smtp_port, args.http_port, args.file, host=args.host).start()
    print(f"mail catcher: SMTP {args.host}:{args.smtp_port}, messages on http://{args.host}:{args.http_port}/messages",
          flush=True)
    stop.wait()
    catcher.stop()


if __name__ == "__main__":
    main()
