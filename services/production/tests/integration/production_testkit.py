"""Helpers of the production integration tests: deliver an event as the consumer would,
read the outbox, build MaterialsReserved facts, cancel orders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import httpx

from contracts.envelope import Envelope
from contracts.events import ItemDefined, MaterialsReserved, OrderCancelled
from devstack.testing import deliver_to_handler, read_outbox
from eventkit import UnitOfWork
from production import clock
from production.handlers import on_item_defined, on_materials_reserved, on_order_cancelled


@dataclass
class Production:
    uow: UnitOfWork
    api: httpx.AsyncClient
    batches_per_day: int

    async def deliver(self, event: MaterialsReserved, event_id: uuid.UUID | None = None) -> Envelope:
        """Hand the event to the handler in its own transaction, as the consumer does."""
        return await deliver_to_handler(self.uow, on_materials_reserved, event, event_id,
                                        batches_per_day=self.batches_per_day)

    async def cancel_order(self, order_id: str, reason: str = "", event_id: uuid.UUID | None = None,
                           order_no: str | None = None) -> Envelope:
        """Deliver the orders service's OrderCancelled, as the consumer does (without
        `order_no`: as a producer older than that field sends it)."""
        event = OrderCancelled(order_id=order_id, order_no=order_no, reason=reason, cancelled_at=clock.now())
        return await deliver_to_handler(self.uow, on_order_cancelled, event, event_id)

    async def define(self, sku: str, kind: str, base_unit: str, *, active: bool = True, revision: int = 1) -> Envelope:
        """Deliver inventory's ItemDefined (the catalog recipes are checked against)."""
        event = ItemDefined(sku=sku, name=sku.title(), kind=kind, base_unit=base_unit, sellable=kind == "finished",
                            active=active, revision=revision)
        return await deliver_to_handler(self.uow, on_item_defined, event)

    async def outbox(self, topic_suffix: str | None = None) -> list[tuple[str, str, Envelope]]:
        """What the service has raised so far: (topic, key, envelope), oldest first."""
        return [(r.topic, r.key, r.envelope) for r in await read_outbox(self.uow)
                if topic_suffix is None or r.topic.endswith(topic_suffix)]


def reserved(order_id: str, plan_id: str, *, line_no: int = 1, promised: str = "40", lots: list[dict] | None = None,
             sku: str = "CREAM-50", batch: str = "100", lead_time_days: int = 3) -> MaterialsReserved:
    return MaterialsReserved(
        order_id=order_id,
        line_no=line_no,
        plan_id=plan_id,
        sku=sku,
        quantity_promised=Decimal(promised),
        batch_quantity=Decimal(batch),
        unit="pcs",
        recipe_version=1,
        lead_time_days=lead_time_days,
        reservations=lots or [],
    )


def lot(lot_id: str, sku: str, quantity: str, unit: str = "kg") -> dict:
    return {"sku": sku, "lot_id": lot_id, "lot_no": f"LN-{lot_id}", "quantity": quantity, "unit": unit}


# The items the tests' recipes use, as inventory would have announced them.
CATALOG = [("CREAM-50", "finished", "pcs"), ("BASE", "intermediate", "kg"), ("JAR-50", "raw", "pcs")]
