"""Helpers of the purchasing integration tests: the service (runtime + API), event builders
for what inventory and orders publish, delivery through the inbox, outbox reading.
(Named uniquely: test directories are not packages, so module names share one namespace.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx

from contracts import events as ev
from contracts.envelope import Envelope
from contracts.events.inventory import Allocation, LineOutstanding, MaterialShortage
from devstack.testing import deliver_via_inbox, read_outbox
from eventkit import Runtime


@dataclass
class Purchasing:
    rt: Runtime
    api: httpx.AsyncClient

    async def deliver(self, event: ev.Event, event_id: uuid.UUID | None = None,
                      occurred_at: datetime | None = None) -> Envelope:
        """One Kafka delivery: inbox claim + handler (a repeated event id is skipped)."""
        return await deliver_via_inbox(self.rt.consumer, event, event_id, occurred_at)

    async def outbox(self, event_type: str) -> list[Envelope]:
        return [r.envelope for r in await read_outbox(self.rt.uow, event_type)]

    async def ok(self, method: str, path: str, status: int = 200, **kw) -> dict | list:
        r = await self.api.request(method, path, **kw)
        assert r.status_code == status, r.text
        return r.json() if r.content else None

    async def refused(self, method: str, path: str, status: int = 422, **kw) -> str:
        r = await self.api.request(method, path, **kw)
        assert r.status_code == status, r.text
        return str(r.json()["detail"])

    async def material(self, sku: str, base_unit: str = "kg", kind: str = "raw", revision: int = 1,
                       active: bool = True) -> None:
        await self.deliver(ev.ItemDefined(sku=sku, name=f"{sku} name", kind=kind, base_unit=base_unit,
                                          sellable=kind == "finished", active=active, revision=revision))

    async def supplier(self, name: str, email: str | None = "orders@supplier.example", **terms_by_sku) -> str:
        """A supplier with terms per material: sku=dict(lead_time_days=..., pack_size=..., ...)."""
        s = await self.ok("POST", "/suppliers", 201, json={"name": name, "email": email})
        for sku, terms in terms_by_sku.items():
            await self.ok("PUT", f"/suppliers/{s['supplier_id']}/materials/{sku}", json=terms)
        return s["supplier_id"]

    async def suggestions(self) -> dict[str, dict]:
        return {s["material_sku"]: s for s in await self.ok("GET", "/suggestions")}


def now() -> datetime:
    return datetime.now(timezone.utc)


def short(order_id: str, *shortages: tuple[str, str, str], line_no: int = 1, unit: str = "kg") -> ev.MaterialsShort:
    """shortages: (material, required, available)."""
    return ev.MaterialsShort(
        order_id=order_id, line_no=line_no, sku="CREAM", quantity=Decimal(10), unit="pcs",
        shortages=[MaterialShortage(material_sku=m, required=Decimal(r), available=Decimal(a),
                                    missing=max(Decimal(r) - Decimal(a), Decimal(0)), unit=unit)
                   for m, r, a in shortages],
        reason_code="shortage",
    )


def reserved(order_id: str, line_no: int = 1) -> ev.MaterialsReserved:
    return ev.MaterialsReserved(order_id=order_id, line_no=line_no, plan_id=str(uuid.uuid4()), sku="CREAM",
                                quantity_promised=Decimal(10), batch_quantity=Decimal(10), unit="pcs",
                                recipe_version=1, lead_time_days=2)


def allocated(order_id: str, line_no: int = 1, outstanding: bool = False) -> ev.OrderAllocated:
    return ev.OrderAllocated(
        order_id=order_id,
        allocations=[Allocation(allocation_id=str(uuid.uuid4()), line_no=line_no, sku="CREAM", lot_id="lot-1",
                                lot_no="B1", quantity=Decimal(4), unit="pcs")],
        outstanding=[LineOutstanding(line_no=line_no, sku="CREAM", quantity=Decimal(6), unit="pcs")] if outstanding else [],
        fully_allocated=not outstanding,
    )


def cancelled(order_id: str) -> ev.OrderCancelled:
    return ev.OrderCancelled(order_id=order_id, reason="changed mind", cancelled_at=now())


def received(po: dict, line_no: int, quantity: str, lot_id: str | None = None) -> ev.GoodsReceived:
    line = next(li for li in po["lines"] if li["line_no"] == line_no)
    lot_id = lot_id or str(uuid.uuid4())
    return ev.GoodsReceived(
        lot_id=lot_id, lot_no=f"L-{lot_id[:6]}", supplier_lot_no="SUP-42", sku=line["material_sku"],
        quantity=Decimal(quantity), unit=line["base_unit"], base_quantity=Decimal(quantity),
        base_unit=line["base_unit"], received_date=date.today(), purchase_order_id=po["purchase_order_id"],
        po_line=line_no,
    )


def later(seconds: float = 1) -> datetime:
    return now() + timedelta(seconds=seconds)


def earlier(seconds: float = 60) -> datetime:
    return now() - timedelta(seconds=seconds)
