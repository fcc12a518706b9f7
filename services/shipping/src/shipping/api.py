"""HTTP API: ship and deliver shipments (commands), list shipments and notifications."""

from __future__ import annotations

import uuid
from enum import StrEnum

from fastapi import FastAPI, HTTPException, Query
from sqlalchemy import func, select, update

from contracts.events import Shipped
from contracts.events.shipping import ShippedLine
from eventkit import Runtime
from shipping import label_routes
from shipping import repository as repo
from shipping import ship_rows
from shipping import shipment_views
from shipping import status_links
from shipping.domain.carriers import CARRIERS, tracking_url
from shipping.delivery import NotDeliverable, UnknownShipment, mark_delivered
from shipping.domain.shipment import Status, ship_refusal
from shipping.notifier import wakeup
from shipping.schemas import CarrierOut, NotificationOut, ShipmentOut, ShipRequest
from shipping.tables import Notification, OrderRecord


class NotificationStatus(StrEnum):
    waiting_recipient = "waiting_recipient"
    pending = "pending"
    sent = "sent"
    failed = "failed"


def _note(n: Notification, order_no: str | None = None) -> NotificationOut:
    return NotificationOut(**n.model_dump(exclude={"to_addr", "next_attempt_at", "secret"}), to=n.to_addr,
                           order_no=order_no)


def make_api(rt: Runtime) -> FastAPI:
    app = FastAPI(title="batchflow shipping", version="1")


    @app.post("/shipments/{shipment_id}/ship", response_model=ShipmentOut)
    async def ship(shipment_id: uuid.UUID, body: ShipRequest) -> ShipmentOut:
        async with rt.uow.start(name="ship") as ctx:
            # Order row first, then the shipment (the handlers' lock order): the allocation
            # state read here is the one this shipment's lines were prepared from.
            locked = await ship_rows.lock_and_read(ctx.session, shipment_id)
            if locked is None:
                raise HTTPException(404, f"shipment {shipment_id} not found")
            shipment = locked.shipment
            refusal = ship_refusal(Status(shipment.status), shipment.carrier, shipment.tracking_no, locked.holds)
            if refusal:
                raise HTTPException(409, refusal)
            # Complete when inventory said nothing is outstanding: a backordered rest would
            # come in a later shipment. (The prepared shipment carries every open allocation.)
            complete = locked.order.allocation_complete
            at = repo.now()
            shipped = await ship_rows.ship(ctx.session, locked, body.carrier, body.tracking_no, complete, at)
            # The view from what this command read under its locks (lines, order, holds are
            # unchanged by shipping), not read again.
            lines = [shipment_views.line(li) for li in locked.lines]
            view = shipment_views.view(shipped, lines, locked.order, locked.holds)
            await ctx.emit(
                Shipped(
                    order_id=shipped.order_id, shipment_id=str(shipment_id), carrier=body.carrier,
                    tracking_no=body.tracking_no, complete=complete, shipped_at=at,
                    tracking_url=tracking_url(body.carrier, body.tracking_no),
                    lines=[ShippedLine(line_no=li.line_no, sku=li.sku, lot_id=li.lot_id, lot_no=li.lot_no,
                                       quantity=li.quantity, unit=li.unit, allocation_id=li.allocation_id,
                                       expiry_date=li.expiry_date) for li in locked.lines],
                ),
                correlation_id=shipped.order_id,
            )
        wakeup(rt).set()  # after commit: the sender finds the row at once
        return view

    @app.post("/shipments/{shipment_id}/deliver", response_model=ShipmentOut)
    async def deliver(shipment_id: uuid.UUID) -> ShipmentOut:
        async with rt.uow.start(name="deliver") as ctx:
            try:
                await mark_delivered(ctx, shipment_id, source="operator")
            except UnknownShipment as exc:
                raise HTTPException(404, str(exc)) from None
            except NotDeliverable as exc:
                raise HTTPException(409, exc.reason) from None
            view = await shipment_views.by_id(ctx.session, shipment_id)
        wakeup(rt).set()  # the delivery e-mail goes out at once
        return view

    @app.get("/shipments", response_model=list[ShipmentOut])
    async def list_shipments(
        status: Status | None = None, order_id: str | None = None, limit: int = Query(100, ge=1, le=1000)
    ) -> list[ShipmentOut]:
        # Blocked is shown, not stored: prepared ones, filtered by their lots.
        async with repo.reads(rt).connect() as conn:
            return await shipment_views.listed(conn, status, order_id, limit)

    @app.get("/shipments/{shipment_id}", response_model=ShipmentOut)
    async def get_shipment(shipment_id: uuid.UUID) -> ShipmentOut:
        async with repo.reads(rt).connect() as conn:
            view = await shipment_views.by_id(conn, shipment_id)
        if view is None:
            raise HTTPException(404, f"shipment {shipment_id} not found")
        return view

    @app.get("/notifications", response_model=list[NotificationOut])
    async def list_notifications(
        order_id: str | None = Query(None, max_length=100), status: NotificationStatus | None = None,
        limit: int = Query(100, ge=1, le=1000),
    ) -> list[NotificationOut]:
        stmt = (
            select(Notification, OrderRecord.order_no)
            .outerjoin(OrderRecord, OrderRecord.order_id == Notification.order_id)
            .order_by(Notification.created_at.desc())
            .limit(limit)
        )
        if order_id:
            stmt = stmt.where(Notification.order_id == order_id)
        if status:
            stmt = stmt.where(Notification.status == status.value)
        async with rt.uow.sessions() as session:
            rows = (await session.execute(stmt)).all()
        return [_note(n, order_no) for n, order_no in rows]

    @app.post("/notifications/{notification_id}/retry", response_model=NotificationOut,
              responses={404: {}, 409: {}})
    async def retry_notification(notification_id: uuid.UUID) -> NotificationOut:
        """A failed e-mail goes back to pending with its attempts reset (after the mail relay
        was fixed); the sender picks it up at once."""
        async with rt.uow.start(name="retry notification") as ctx:
            note = (await ctx.session.execute(select(Notification).where(
                Notification.notification_id == notification_id).with_for_update())).scalars().first()
            if note is None:
                raise HTTPException(404, f"notification {notification_id} not found")
            if note.status != "failed":
                raise HTTPException(409, f"notification is {note.status}; only a failed one is retried")
            await ctx.session.execute(update(Notification).where(Notification.notification_id == notification_id)
                                      .values(status="pending", attempts=0, next_attempt_at=func.now()))
            await ctx.session.refresh(note)
        wakeup(rt).set()
        return _note(note)

    app.include_router(status_links.routes(rt))

    app.include_router(label_routes.routes(rt))

    @app.get("/carriers", response_model=list[CarrierOut])
    async def carriers() -> list[CarrierOut]:
        return [CarrierOut(name=c) for c in CARRIERS]

    return app
