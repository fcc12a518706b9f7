"""Helpers of the shipping integration tests: a real SMTP listener (aiosmtpd), event
builders, a way to hand events to handlers as the consumer does, and outbox reading.
(Named uniquely: test directories are not packages, so module names share one namespace.)"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller
from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.events import Event, OrderAllocated, OrderCancelled, OrderPlaced
from contracts.events.base import Customer, OrderLine
from contracts.events.inventory import Allocation, LineOutstanding
from eventkit import Runtime
from shipping.handlers import on_order_allocated, on_order_cancelled, on_order_placed

HANDLERS = {OrderPlaced: on_order_placed, OrderAllocated: on_order_allocated, OrderCancelled: on_order_cancelled}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    """An SMTP server's inbox: every message it accepted."""

    messages: list[Message] = field(default_factory=list)
    rcpts: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        self.messages.append(message_from_bytes(envelope.content))
        self.rcpts.append(list(envelope.rcpt_tos))
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
    envelope = Envelope(
        event_type=event.event_type, version=event.version, producer="test",
        correlation_id=event.key(), data=event.model_dump(mode="json"),
    )
    async with rt.uow.handling(envelope) as ctx:
        await HANDLERS[type(event)](ctx, event)
    return envelope


async def eventually(check, timeout: float = 10.0, interval: float = 0.05):
    """Poll `check` (sync or async) until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


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
    async with rt.uow.sessions() as session:
        rows = (await session.execute(text("SELECT topic, key, payload, headers FROM outbox ORDER BY id"))).all()
    out = []
    for r in rows:
        env = Envelope.from_bytes(bytes(r.payload))
        if event_type is None or env.event_type == event_type:
            headers = r.headers if isinstance(r.headers, dict) else json.loads(r.headers)
            out.append({"topic": r.topic, "key": r.key, "envelope": env, "headers": headers})
    return out


# -- Kafka (the service as it runs) ------------------------------------------------------------
async def publish(stack, event: Event) -> None:
    """Put an event on its topic the way another service's relay would."""
    from aiokafka import AIOKafkaProducer
    from contracts.topics import topic_for

    envelope = Envelope(event_type=event.event_type, producer=topic_for(event).producer,
                        correlation_id=event.key(), data=event.model_dump(mode="json"))
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(stack.topic(topic_for(event).name), envelope.to_bytes(), key=event.key().encode())
    finally:
        await producer.stop()


async def read_topic(stack, event_type: str, key: str, timeout: float = 30.0) -> list[Envelope]:
    """The envelopes with `key` on the event's topic, once at least one is there."""
    from aiokafka import AIOKafkaConsumer
    from contracts.topics import topic_for

    consumer = AIOKafkaConsumer(stack.topic(topic_for(event_type).name), bootstrap_servers=stack.bootstrap,
                                group_id=f"probe-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest")
    await consumer.start()
    found: list[Envelope] = []
    try:
        async def poll():
            batch = await consumer.getmany(timeout_ms=300)
            found.extend(Envelope.from_bytes(r.value) for recs in batch.values() for r in recs if r.key == key.encode())
            return found
        return await eventually(poll, timeout=timeout)
    finally:
        await consumer.stop()


@contextlib.asynccontextmanager
async def sender(rt: Runtime):
    """The background e-mail job, running as it does in the service."""
    from shipping.notifier import send_notifications

    task = asyncio.create_task(send_notifications(rt))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def shipments(client, order_id: str) -> list[dict]:
    """The order's shipments, first prepared first."""
    r = await client.get("/shipments", params={"order_id": order_id})
    assert r.status_code == 200, r.text
    return sorted(r.json(), key=lambda s: s["seq"])


def lots(shipment: dict) -> list[tuple[str, str]]:
    return [(li["lot_no"], li["quantity"]) for li in shipment["lines"]]
