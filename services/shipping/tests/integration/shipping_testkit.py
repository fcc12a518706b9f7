"""Helpers of the shipping integration tests: a real SMTP listener (aiosmtpd), event
builders, a way to hand events to handlers as the consumer does, and outbox reading.
(Named uniquely: test directories are not packages, so module names share one namespace.)"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller

from contracts.envelope import Envelope
from contracts.events import (
    Event, LotHeld, LotReleased, OrderAllocated, OrderCancelled, OrderPlaced, PromiseChanged, RecallOpened,
)
from contracts.events.base import Customer, OrderLine
from contracts.events.inventory import Allocation, LineOutstanding
from devstack.testing import deliver_to_handler, envelope_for, free_port, in_background, query_scalar, read_outbox
from eventkit import Runtime
from shipping.handlers import on_order_allocated, on_order_cancelled, on_order_placed, on_promise_changed
from shipping.notifier import send_notifications
from shipping.recalls import on_lot_held, on_lot_released, on_recall_opened

HANDLERS = {OrderPlaced: on_order_placed, OrderAllocated: on_order_allocated, OrderCancelled: on_order_cancelled,
            PromiseChanged: on_promise_changed, LotHeld: on_lot_held, LotReleased: on_lot_released,
            RecallOpened: on_recall_opened}


@dataclass
class Mailbox:
    """An SMTP server's inbox: every message it accepted."""

    messages: list[Message] = field(default_factory=list)
    rcpts: list[list[str]] = field(default_factory=list)
    # The client's address and port of each accepted message: one per SMTP connection.
    peers: list[tuple] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # recipients turned away (550), as a real server does

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd handler hook
        if address in self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        self.messages.append(message_from_bytes(envelope.content))
        self.rcpts.append(list(envelope.rcpt_tos))
        self.peers.append(tuple(session.peer))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> "SmtpServer":
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None


async def deliver(rt: Runtime, event: Event) -> Envelope:
    """Hand an event to its handler as the consumer would (own transaction, fresh event id)."""
    return await deliver_to_handler(rt.uow, HANDLERS[type(event)], event)


async def held_while(rt: Runtime, event: Event, then: Callable[[], Awaitable]):
    """Handle `event` in a transaction kept open until `then()` waits for a lock (the order's
    row); `then()`'s result once that transaction committed."""
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    async with rt.uow.handling(envelope_for(event)) as ctx:
        await HANDLERS[type(event)](ctx, event)
        second = asyncio.create_task(then())
        deadline = time.monotonic() + 10
        while not await query_scalar(rt.uow, waiting):
            assert time.monotonic() < deadline, "the second one never waited for the lock"
            await asyncio.sleep(0.02)
        assert not second.done()
    return await second


def new_order_id() -> str:
    return str(uuid.uuid4())


def placed(order_id: str, order_no: str = "SO-1001", email: str = "ada@example.com") -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id, order_no=order_no,
        customer=Customer(name="Ada Lovelace", email=email, address="12 Analytical Row, London"),
        lines=[OrderLine(line_no=1, sku="CREAM-50", quantity=Decimal(12), unit="pcs")],
        placed_at=datetime.now(timezone.utc),
    )


def allocation(lot_no: str, quantity: str, line_no: int = 1, sku: str = "CREAM-50") -> Allocation:
    return Allocation(
        allocation_id=f"alloc-{lot_no}-{line_no}", line_no=line_no, sku=sku, lot_id=f"lot-{lot_no}",
        lot_no=lot_no, quantity=Decimal(quantity), unit="pcs",
    )


def allocated(order_id: str, *allocations: Allocation, fully: bool = True, outstanding: str | None = None,
              backordered: bool = False) -> OrderAllocated:
    """`outstanding`: quantity of line 1 still missing (the order is then not fully allocated)."""
    missing = [LineOutstanding(line_no=1, sku="CREAM-50", quantity=Decimal(outstanding), unit="pcs")] if outstanding else []
    return OrderAllocated(order_id=order_id, allocations=list(allocations), outstanding=missing,
                          fully_allocated=fully and not missing, backordered=backordered)


def cancelled(order_id: str) -> OrderCancelled:
    return OrderCancelled(order_id=order_id, reason="customer changed mind", cancelled_at=datetime.now(timezone.utc))


async def outbox(rt: Runtime, event_type: str | None = None) -> list[dict]:
    """Rows of the outbox as the relay would publish them, payload decoded to an Envelope."""
    return [r._asdict() for r in await read_outbox(rt.uow, event_type)]


def sender(rt: Runtime):
    """The background e-mail job, running as it does in the service (`async with`)."""
    return in_background(send_notifications(rt))


async def shipments(client, order_id: str) -> list[dict]:
    """The order's shipments, first prepared first."""
    r = await client.get("/shipments", params={"order_id": order_id})
    assert r.status_code == 200, r.text
    return sorted(r.json(), key=lambda s: s["seq"])


def lots(shipment: dict) -> list[tuple[str, str]]:
    return [(li["lot_no"], li["quantity"]) for li in shipment["lines"]]
