"""Helpers of the channels integration tests: a real HTTP server standing in for a shop's
admin API, webhook payloads, handing events to handlers as the consumer does, outbox reading.
(Named uniquely: test directories are not packages, so module names share one namespace.)"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from channels.handlers import on_shipped
from contracts.envelope import Envelope
from contracts.events import Event, Shipped
from contracts.events.shipping import ShippedLine
from devstack.testing import deliver_to_handler, read_outbox
from eventkit import Runtime

HANDLERS = {Shipped: on_shipped}


class FakeShopAdmin:
    """A shop admin API on a free local port: records every request; answers with the
    statuses queued in `fail_with` first, then 201."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail_with: list[int] = []
        admin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = admin.fail_with.pop(0) if admin.fail_with else 201
                admin.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body), "status": status})
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"fulfillment": {"id": 1}}' if status < 400 else b'{"errors": "try later"}')

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/admin/api/2024-01"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "FakeShopAdmin":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accepted(self) -> list[dict]:
        return [r for r in self.requests if r["status"] < 400]


def shopify_order(external_id: int = 450789469, skus=("SH-CREAM", "SH-SOAP")) -> dict:
    return {
        "id": external_id, "name": "#1001", "email": "jon@example.com",
        "customer": {"first_name": "Jon", "last_name": "Snow", "id": 207119551},
        "shipping_address": {"address1": "1 Wall St", "city": "Winterfell", "zip": "N1", "country_code": "GB"},
        "line_items": [{"id": 1000 + i, "sku": sku, "quantity": 2, "title": sku} for i, sku in enumerate(skus)],
        "total_price": "59.00", "financial_status": "paid",
    }


def woo_order(external_id: int = 727) -> dict:
    return {
        "id": external_id, "number": str(external_id), "status": "processing",
        "billing": {"first_name": "Arya", "last_name": "Stark", "email": "arya@example.com", "address_1": "2 Canal", "city": "Braavos", "country": "IT"},
        "line_items": [{"id": 315, "sku": "WC-CREAM", "quantity": 3}],
    }


def body_of(payload: dict) -> bytes:
    return json.dumps(payload).encode()


def shipped(order_id: str, lines: list[tuple[int, str, str]], carrier: str = "DHL", tracking: str = "JD0146000031") -> Shipped:
    return Shipped(
        order_id=order_id, shipment_id=str(uuid.uuid4()), carrier=carrier, tracking_no=tracking,
        lines=[
            ShippedLine(line_no=n, sku=sku, lot_id=f"lot-{n}", lot_no=f"B{n}", quantity=Decimal(q), unit="pcs",
                        allocation_id=f"a-{n}-{sku}")
            for n, sku, q in lines
        ],
        shipped_at=datetime.now(timezone.utc),
    )


async def deliver(rt: Runtime, event: Event) -> Envelope:
    """Hand an event to its handler as the consumer would (own transaction, fresh event id)."""
    return await deliver_to_handler(rt.uow, HANDLERS[type(event)], event)


async def outbox(rt: Runtime, event_type: str | None = None) -> list[dict]:
    """Rows of the outbox as the relay would publish them: topic, key, envelope, headers."""
    return [r._asdict() for r in await read_outbox(rt.uow, event_type)]
