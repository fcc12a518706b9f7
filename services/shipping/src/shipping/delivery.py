"""Marking a shipment delivered: one function for every source that can say so (the
operator's `POST /shipments/{id}/deliver`, a carrier's tracking webhook).

In the caller's transaction (`ctx` from `rt.uow.start`): the shipment row is locked, set
`delivered`, `Delivered` goes to the outbox and the customer's delivery e-mail is queued
(unique per shipment and kind, so a replayed webhook mails nothing more). The caller wakes
the sender after commit (`notifier.wakeup(rt).set()`)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update

from contracts.events import Delivered
from eventkit import Context
from shipping import repository as repo
from shipping.domain.shipment import Status, deliver_refusal
from shipping.tables import Shipment

log = logging.getLogger("shipping.delivery")


class UnknownShipment(LookupError):
    """No shipment with this id (HTTP 404)."""


class NotDeliverable(Exception):
    """The shipment cannot be delivered now: prepared, cancelled or already delivered.
    `already_delivered` lets a carrier webhook treat its own replay as done (2xx) while the
    operator's command answers 409 with the reason."""

    def __init__(self, reason: str, already_delivered: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.already_delivered = already_delivered


@dataclass(frozen=True)
class Delivery:
    shipment: Shipment  # refreshed, status delivered
    source: str


async def mark_delivered(ctx: Context, shipment_id: uuid.UUID, delivered_at: datetime | None = None,
                         source: str = "operator") -> Delivery:
    """shipped -> delivered at `delivered_at` (now when None; the carrier's scan time when it
    says one). `source` names who said so ("operator", "easypost", ...) for the log. Raises
    UnknownShipment or NotDeliverable; nothing is written then."""
    found = await repo.shipment_by_id(ctx.session, shipment_id)
    if found is None:
        raise UnknownShipment(f"shipment {shipment_id} not found")
    # Order row first, then the shipment: the lock order of the handlers and of ship.
    order = await repo.lock_order(ctx.session, found.order_id)
    shipment = await repo.shipment_by_id(ctx.session, shipment_id, lock=True)
    refusal = deliver_refusal(Status(shipment.status))
    if refusal:
        raise NotDeliverable(refusal, already_delivered=Status(shipment.status) is Status.DELIVERED)
    at = delivered_at or repo.now()
    await ctx.session.execute(
        update(Shipment).where(Shipment.shipment_id == shipment_id)
        .values(status=Status.DELIVERED.value, delivered_at=at, updated_at=func.now())
    )
    await ctx.session.refresh(shipment)
    await ctx.emit(Delivered(order_id=shipment.order_id, shipment_id=str(shipment_id), delivered_at=at),
                   correlation_id=shipment.order_id)
    lines = (await repo.lines_of(ctx.session, [shipment_id]))[shipment_id]
    await repo.add_delivered_notification(ctx.session, order, shipment, lines)
    log.info("shipment %s of order %s delivered at %s (%s)", shipment_id, shipment.order_id, at.isoformat(), source)
    return Delivery(shipment=shipment, source=source)
