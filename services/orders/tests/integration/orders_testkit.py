"""Helpers for the orders integration tests: event builders and delivery through the kit's
consumer path (inbox claim + handler in one transaction), outbox and database readers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import httpx

from contracts import events as ev
from contracts.envelope import Envelope
from contracts.events.base import Customer, LineQuantity, LotQuantity, OrderLine
from contracts.events.inventory import Allocation, LineOutstanding, MaterialShortage, PromiseReleased
from contracts.events.shipping import ShippedLine
from devstack.testing import deliver_via_inbox, query_scalar, read_outbox
from eventkit import EventConsumer, Runtime

D = Decimal


def today() -> date:
    return datetime.now(timezone.utc).date()


def order_body(**over) -> dict:
    body = {
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "country": "GB"},
        "lines": [{"sku": "SOAP-1", "quantity": "10", "unit": "pcs"}, {"sku": "CREAM-2", "quantity": "5", "unit": "kg"}],
        "wanted_date": "2026-12-01",
    }
    body.update(over)
    return body


@dataclass
class Orders:
    rt: Runtime
    api: httpx.AsyncClient
    consumer: EventConsumer

    async def place(self, **over) -> dict:
        resp = await self.api.post("/orders", json=order_body(**over))
        assert resp.status_code == 201, resp.text
        return resp.json()

    async def get(self, order_id: str) -> dict:
        resp = await self.api.get(f"/orders/{order_id}")
        assert resp.status_code == 200, resp.text
        return resp.json()

    async def cancel(self, order_id: str, reason: str | None = None) -> httpx.Response:
        body = None if reason is None else {"reason": reason}
        return await self.api.post(f"/orders/{order_id}/cancel", json=body)

    async def deliver(self, event: ev.Event, event_id: uuid.UUID | None = None,
                      occurred_at: datetime | None = None) -> Envelope:
        """One Kafka delivery as the consumer applies it: inbox claim, then the handler, one
        transaction. A duplicate event id is skipped by the inbox."""
        return await deliver_via_inbox(self.consumer, event, event_id, occurred_at)

    async def outbox(self, suffix: str = "") -> list[tuple[str, str, Envelope]]:
        return [(r.topic, r.key, r.envelope) for r in await read_outbox(self.rt.uow) if r.topic.endswith(suffix)]

    async def scalar(self, sql: str, **params):
        return await query_scalar(self.rt.uow, sql, **params)


# -- event builders (bodies as the producing services write them) --------------------------
def reserved(order_id: str, line_no: int = 1, plan_id: str = "plan-1", qty: str = "10", unit: str = "pcs",
             lead: int = 3, sku: str = "SOAP-1") -> ev.MaterialsReserved:
    return ev.MaterialsReserved(
        order_id=order_id, line_no=line_no, plan_id=plan_id, sku=sku, quantity_promised=D(qty),
        batch_quantity=D(100), unit=unit, recipe_version=1, lead_time_days=lead,
        reservations=[LotQuantity(sku="OIL", lot_id="lot-oil", lot_no="OIL-7", quantity=D("12"), unit="kg")],
    )


def short(order_id: str, line_no: int = 2, sku: str = "CREAM-2") -> ev.MaterialsShort:
    return ev.MaterialsShort(
        order_id=order_id, line_no=line_no, sku=sku, quantity=D(5), unit="kg",
        shortages=[MaterialShortage(material_sku="WAX", required=D(3), available=D(1), missing=D(2), unit="kg")],
    )


def scheduled(covers: list[tuple[str, int]], batch_id: str = "plan-1", batch_no: str = "B261125-0001",
              end: date | None = None) -> ev.BatchScheduled:
    end = end or date(2026, 11, 27)
    return ev.BatchScheduled(
        batch_id=batch_id, batch_no=batch_no, sku="SOAP-1", planned_quantity=D(100), unit="pcs",
        covers=[LineQuantity(order_id=o, line_no=n, quantity=D(10)) for o, n in covers],
        planned_start=end, planned_end=end,
    )


def started(covers: list[tuple[str, int]], batch_id: str = "plan-1", batch_no: str = "B261125-0001") -> ev.BatchStarted:
    return ev.BatchStarted(batch_id=batch_id, batch_no=batch_no, sku="SOAP-1", started_at=datetime.now(timezone.utc),
                           covers=[LineQuantity(order_id=o, line_no=n, quantity=D(10)) for o, n in covers])


def completed(covers: list[tuple[str, int]], batch_id: str = "plan-1", batch_no: str = "B261125-0001") -> ev.BatchCompleted:
    return ev.BatchCompleted(
        batch_id=batch_id, batch_no=batch_no, sku="SOAP-1", planned_quantity=D(100), output_quantity=D(98),
        waste_quantity=D(2), unit="pcs", completed_at=datetime.now(timezone.utc),
        covers=[LineQuantity(order_id=o, line_no=n, quantity=D(10)) for o, n in covers],
    )


def allocated(order_id: str, lines: list[tuple[int, str, str]], outstanding: list[tuple[int, str, str]] = (),
              backordered: bool = False, lot: str = "") -> ev.OrderAllocated:
    """lines/outstanding: (line_no, quantity, unit); `lot` tells later allocations (lot L<n><lot>) apart."""
    return ev.OrderAllocated(
        order_id=order_id, fully_allocated=not outstanding, backordered=backordered,
        allocations=[Allocation(allocation_id=f"a{n}{lot}", line_no=n, sku=f"SKU-{n}", lot_id=f"lot{n}{lot}",
                                lot_no=f"L{n}{lot}", quantity=D(q), unit=u) for n, q, u in lines],
        outstanding=[LineOutstanding(line_no=n, sku=f"SKU-{n}", quantity=D(q), unit=u) for n, q, u in outstanding],
    )


def shipped(order_id: str, shipment_id: str = "shp-1", complete: bool = True, tracking: str = "123") -> ev.Shipped:
    return ev.Shipped(
        order_id=order_id, shipment_id=shipment_id, carrier="DHL", tracking_no=tracking, complete=complete,
        shipped_at=datetime.now(timezone.utc),
        lines=[ShippedLine(line_no=1, allocation_id="a1", sku="SOAP-1", lot_id="lot1", lot_no="L1",
                           quantity=D(10), unit="pcs")],
    )


def delivered(order_id: str, shipment_id: str = "shp-1") -> ev.Delivered:
    return ev.Delivered(order_id=order_id, shipment_id=shipment_id, delivered_at=datetime.now(timezone.utc))


def channel_order(order_id: str, ref: str = "#1001", shop: str = "acme", **over) -> ev.ChannelOrderReceived:
    return ev.ChannelOrderReceived(
        order_id=order_id, channel="shopify", shop=shop, external_order_id=ref, **over,
        customer=Customer(name="Grace Hopper", email="grace@example.com"),
        lines=[OrderLine(line_no=1, sku="SOAP-1", quantity=2, unit="pcs")],
        received_at=datetime.now(timezone.utc),
    )


def shop_cancelled(order_id: str, ref: str = "#1001", shop: str = "acme",
                   reason: str = "customer changed their mind") -> ev.ChannelOrderCancelled:
    return ev.ChannelOrderCancelled(order_id=order_id, channel="shopify", shop=shop, external_order_id=ref,
                                    reason=reason, cancelled_at=datetime.now(timezone.utc))


# -- undo steps of a cancellation -----------------------------------------------------------
def stock_released(order_id: str, allocations: list[tuple[int, str, str]] = ((1, "10", "pcs"),),
                   promises: list[tuple[str, int, str]] = ()) -> ev.StockReleased:
    """allocations: (line_no, quantity, unit) from lot L<line_no>; promises: (plan_id, line_no, quantity)."""
    return ev.StockReleased(
        order_id=order_id, reason="order cancelled",
        allocations=[Allocation(allocation_id=f"a{n}", line_no=n, sku=f"SKU-{n}", lot_id=f"lot{n}", lot_no=f"L{n}",
                                quantity=D(q), unit=u) for n, q, u in allocations],
        promises=[PromiseReleased(plan_id=p, line_no=n, quantity=D(q)) for p, n, q in promises],
    )


def withdrawn(order_id: str, shipment_id: str = "shp-1") -> ev.ShipmentWithdrawn:
    return ev.ShipmentWithdrawn(order_id=order_id, shipment_id=shipment_id, reason="order cancelled",
                                withdrawn_at=datetime.now(timezone.utc))


def batch_cancelled(covers: list[tuple[str, int]], batch_id: str = "plan-1",
                    batch_no: str = "B261125-0001") -> ev.BatchCancelled:
    return ev.BatchCancelled(
        batch_id=batch_id, batch_no=batch_no, sku="SOAP-1", reason="no order needs it any more",
        covers=[LineQuantity(order_id=o, line_no=n, quantity=D(10)) for o, n in covers],
        cancelled_at=datetime.now(timezone.utc),
    )


# The finished goods the tests order, as inventory announces them.
CATALOG = [("SOAP-1", "pcs"), ("CREAM-2", "kg"), ("PAINT-9", "L"), ("A", "pcs"), ("B", "pcs")]


def item_defined(sku: str, base_unit: str, kind: str = "finished", revision: int = 1, **over) -> ev.ItemDefined:
    return ev.ItemDefined(sku=sku, name=sku.title(), kind=kind, base_unit=base_unit, sellable=kind == "finished",
                          revision=revision, **over)
