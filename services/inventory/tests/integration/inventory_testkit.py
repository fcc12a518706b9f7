"""Helpers for the inventory integration tests: event builders, delivery through the kit's
consumer path, and readers for the outbox, the API and the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx

from contracts import events as ev
from contracts.events.base import Customer, LineQuantity, LotQuantity, OrderLine
from contracts.events.shipping import ShippedLine
from contracts.topics import parse_body
from devstack.testing import deliver_via_inbox, query_rows, query_scalar, read_outbox
from eventkit import EventConsumer, Runtime

D = Decimal


def today() -> date:
    return datetime.now(timezone.utc).date()


def in_days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


def order(order_id: str, *lines: tuple[str, str, str], priority: int = 0, minutes_ago: int = 0) -> ev.OrderPlaced:
    return ev.OrderPlaced(
        order_id=order_id, order_no=f"SO-{order_id}", customer=Customer(name=f"Customer {order_id}", email="c@example.com"),
        lines=[OrderLine(line_no=i, sku=sku, quantity=D(q), unit=u) for i, (sku, q, u) in enumerate(lines, 1)],
        priority=priority, placed_at=datetime.now(timezone.utc) - timedelta(minutes=minutes_ago),
    )


def recipe(sku: str, ingredients: list[tuple[str, str, str]], version: int = 1, **over) -> ev.RecipePublished:
    body = dict(
        sku=sku, name=f"{sku} product", recipe_version=version, output_unit="kg",
        ingredients=[{"sku": s, "quantity": q, "unit": u} for s, q, u in ingredients],
        batch_min="50", batch_multiple="25", expected_yield="1", lead_time_days=3,
    )
    body.update(over)
    return ev.RecipePublished(**body)


def completed(reserved: ev.MaterialsReserved, batch_no: str, output: str, consumption=None, expiry_days=180) -> ev.BatchCompleted:
    used = consumption if consumption is not None else reserved.reservations
    return ev.BatchCompleted(
        batch_id=reserved.plan_id, batch_no=batch_no, sku=reserved.sku, planned_quantity=reserved.batch_quantity,
        output_quantity=D(output), waste_quantity=D(0), unit=reserved.unit, consumption=list(used),
        covers=[LineQuantity(order_id=reserved.order_id, line_no=reserved.line_no, quantity=reserved.quantity_promised)],
        expiry_date=today() + timedelta(days=expiry_days), completed_at=datetime.now(timezone.utc),
    )


def shipped(allocated: ev.OrderAllocated, shipment_id: str = "SH-1") -> ev.Shipped:
    return ev.Shipped(
        order_id=allocated.order_id, shipment_id=shipment_id, carrier="DHL", tracking_no="TRK1",
        lines=[ShippedLine(**a.model_dump()) for a in allocated.allocations], shipped_at=datetime.now(timezone.utc),
    )


def lot_quantity(**kw) -> LotQuantity:
    return LotQuantity(**kw)


@dataclass
class Inventory:
    rt: Runtime
    api: httpx.AsyncClient
    consumer: EventConsumer

    async def deliver(self, event: ev.Event, event_id: uuid.UUID | None = None) -> list[ev.Event]:
        """One Kafka delivery as the consumer applies it (inbox claim + handler, one
        transaction); returns the events that delivery raised (read from the outbox)."""
        before = await self.outbox_count()
        await deliver_via_inbox(self.consumer, event, event_id)
        return (await self.emitted())[before:]

    async def emitted(self) -> list[ev.Event]:
        return [parse_body(r.envelope) for r in await read_outbox(self.rt.uow)]

    async def outbox_count(self) -> int:
        return await self.scalar("SELECT count(*) FROM outbox")

    async def scalar(self, sql: str, **params):
        return await query_scalar(self.rt.uow, sql, **params)

    async def rows(self, sql: str, **params) -> list[dict]:
        return await query_rows(self.rt.uow, sql, **params)

    # -- API ---------------------------------------------------------------------------------
    async def item(self, sku: str, kind: str = "raw", base_unit: str = "kg", **extra) -> dict:
        resp = await self.api.post("/items", json={"sku": sku, "name": sku.title(), "kind": kind, "base_unit": base_unit, **extra})
        assert resp.status_code == 201, resp.text
        return resp.json()

    async def receive(self, sku: str, quantity: str, unit: str = "kg", **extra) -> dict:
        resp = await self.api.post("/receipts", json={"sku": sku, "quantity": quantity, "unit": unit, **extra})
        assert resp.status_code == 201, resp.text
        return resp.json()

    async def get(self, path: str, **params):
        resp = await self.api.get(path, params=params)
        assert resp.status_code == 200, resp.text
        return resp.json()

    async def stock(self, sku: str) -> dict:
        (row,) = await self.get("/stock", sku=sku)
        return {k: (D(v) if k in ("on_hand", "reserved", "allocated", "available", "expired") else v) for k, v in row.items()}

    async def ledger_matches_on_hand(self) -> bool:
        mismatches = await self.scalar(
            "SELECT count(*) FROM lots l WHERE l.on_hand <> "
            "(SELECT COALESCE(SUM(quantity), 0) FROM stock_movements m WHERE m.lot_id = l.lot_id)"
        )
        return mismatches == 0


# -- failure paths ---------------------------------------------------------------------------
def cancelled(order_id: str, reason: str = "customer changed their mind") -> ev.OrderCancelled:
    return ev.OrderCancelled(order_id=order_id, reason=reason, cancelled_at=datetime.now(timezone.utc))


def batch_cancelled(plan_id: str, sku: str = "CREAM", batch_no: str = "B-X",
                    cancelled_orders: tuple[str, ...] = ()) -> ev.BatchCancelled:
    return ev.BatchCancelled(
        batch_id=plan_id, batch_no=batch_no, sku=sku, reason="operator cancelled", cancelled_at=datetime.now(timezone.utc),
        cancelled_orders=list(cancelled_orders),
    )


def scheduled(plan_id: str, planned: str, sku: str = "CREAM", unit: str = "kg", batch_no: str = "B-X") -> ev.BatchScheduled:
    return ev.BatchScheduled(
        batch_id=plan_id, batch_no=batch_no, sku=sku, planned_quantity=D(planned), unit=unit,
        planned_start=today(), planned_end=today() + timedelta(days=3),
    )


async def receipt_events(inv: "Inventory", sku: str, quantity: str, unit: str = "kg", **extra) -> list[ev.Event]:
    """A goods receipt over HTTP; returns the saga events its transaction raised (the
    GoodsReceived every receipt raises is left out: test_purchase_orders checks it)."""
    before = await inv.outbox_count()
    await inv.receive(sku, quantity, unit, **extra)
    return [e for e in (await inv.emitted())[before:] if not isinstance(e, ev.GoodsReceived)]


async def nothing_negative(inv: "Inventory") -> bool:
    bad = await inv.scalar(
        "SELECT count(*) FROM lots WHERE on_hand < 0 OR reserved < 0 OR allocated < 0 OR reserved + allocated > on_hand"
    )
    return bad == 0


async def reserved_by_lot(inv: "Inventory", plan_id: str) -> dict[str, Decimal]:
    rows = await inv.rows(
        "SELECT l.lot_no, r.quantity - r.consumed - r.released AS open FROM reservations r "
        "JOIN lots l ON l.lot_id = r.lot_id WHERE r.plan_id = :p AND r.status = 'open'", p=plan_id,
    )
    return {r["lot_no"]: r["open"] for r in rows}
