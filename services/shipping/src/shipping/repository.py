"""Queries and writes shared by the handlers, the API and the sender (one session = one
transaction, always the caller's; `reads`: single-statement reads outside one)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from eventkit import Runtime
from shipping.domain.notification import ItemLine, Recipient, delayed_mail, delivered_mail, shipped_mail
from shipping.tables import Notification, OrderRecord, Shipment, ShipmentLine


# Statements the event handlers run for many orders: built once (see order_rows.py for why).
_ADDRESSED = text(
    "UPDATE notifications SET to_addr = :to_addr, subject = :subject, body = :body, status = 'pending', "
    "next_attempt_at = now() WHERE notification_id = :id"
)
_ADD_DELAY_NOTICE = text(
    "INSERT INTO notifications (notification_id, order_id, shipment_id, kind, dedup_key, promised_date, "
    "expected_date, to_addr, subject, body, status, attempts, next_attempt_at, created_at) "
    "VALUES (:notification_id, :order_id, NULL, 'delayed', :dedup_key, :promised_date, :expected_date, :to_addr, "
    ":subject, :body, :status, 0, now(), now()) "
    "ON CONFLICT (order_id, kind, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING RETURNING notification_id"
)


def now() -> datetime:
    return datetime.now(timezone.utc)


def reads(rt: Runtime) -> AsyncEngine:
    """The service's engine for a read that is one statement: it runs on its own (autocommit),
    without the BEGIN and ROLLBACK round trips of a transaction around it. Same pool."""
    engine = rt.extras.get("shipping_reads")
    if engine is None:
        engine = rt.extras["shipping_reads"] = rt.engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def shipment_id_for(order_id: str, seq: int = 1) -> uuid.UUID:
    # Deterministic: a replayed history (or a rebuilt database) gives the same shipment ids.
    # The first shipment keeps the id it had before orders could ship in parts.
    suffix = "" if seq == 1 else f"/{seq}"
    return uuid.uuid5(uuid.NAMESPACE_URL, f"batchflow/shipping/{order_id}{suffix}")


async def order_record(session: AsyncSession, order_id: str) -> OrderRecord | None:
    return await session.get(OrderRecord, order_id)


async def lock_order(session: AsyncSession, order_id: str) -> OrderRecord:
    """The order's row, created if unknown, locked for this transaction. Everything that
    changes an order's shipments takes this lock first (then the shipment rows), so the
    handlers and the ship command see each other's whole decisions, never half of them."""
    await session.execute(insert(OrderRecord).values(order_id=order_id).on_conflict_do_nothing(index_elements=["order_id"]))
    stmt = (
        select(OrderRecord).where(OrderRecord.order_id == order_id)
        .with_for_update().execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalars().one()


async def shipments_of(session: AsyncSession, order_id: str, lock: bool = False) -> list[Shipment]:
    stmt = select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.seq)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list((await session.execute(stmt)).scalars())


async def shipment_by_id(session: AsyncSession, shipment_id: uuid.UUID, lock: bool = False) -> Shipment | None:
    stmt = select(Shipment).where(Shipment.shipment_id == shipment_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalars().first()


async def lines_of(session: AsyncSession, shipment_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ShipmentLine]]:
    out: dict[uuid.UUID, list[ShipmentLine]] = {i: [] for i in shipment_ids}
    if not shipment_ids:
        return out
    stmt = (
        select(ShipmentLine)
        .where(ShipmentLine.shipment_id.in_(shipment_ids))
        .order_by(ShipmentLine.line_no, ShipmentLine.lot_no, ShipmentLine.allocation_id)
    )
    for line in (await session.execute(stmt)).scalars():
        out[line.shipment_id].append(line)
    return out


def recipient(order: OrderRecord | Row | None) -> Recipient:
    if order is None:
        return Recipient()
    return Recipient(order_no=order.order_no, name=order.recipient_name, language=order.language)


def items_of(lines: list[ShipmentLine]) -> list[ItemLine]:
    return [ItemLine(li.sku, li.quantity, li.unit, li.lot_no) for li in lines]


def render(order: OrderRecord | None, shipment: Shipment, lines: list[ShipmentLine]) -> tuple[str, str]:
    return shipped_mail(recipient(order), shipment.carrier or "", shipment.tracking_no or "", items_of(lines),
                        partial=shipment.complete is False, follow_up=shipment.seq > 1)


def render_delivered(order: OrderRecord | None, shipment: Shipment, lines: list[ShipmentLine]) -> tuple[str, str]:
    on = (shipment.delivered_at or now()).date()
    return delivered_mail(recipient(order), shipment.carrier or "", shipment.tracking_no or "", on, items_of(lines))


async def add_delivered_notification(
    session: AsyncSession, order: OrderRecord | None, shipment: Shipment, lines: list[ShipmentLine]
) -> None:
    """Once per shipment (unique shipment/kind): a second delivery report mails nothing more."""
    subject, body = render_delivered(order, shipment, lines)
    await _add_shipment_mail(session, order, shipment, "delivered", subject, body)


async def _add_shipment_mail(session: AsyncSession, order: OrderRecord | None, shipment: Shipment, kind: str,
                             subject: str, body: str) -> None:
    to_addr = order.recipient_email if order else None
    await session.execute(
        insert(Notification)
        .values(
            notification_id=uuid.uuid4(), order_id=shipment.order_id, shipment_id=shipment.shipment_id,
            kind=kind, to_addr=to_addr, subject=subject, body=body,
            status="pending" if to_addr else "waiting_recipient", attempts=0,
            next_attempt_at=func.now(), created_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=["shipment_id", "kind"])
    )


async def release_waiting_notifications(session: AsyncSession, order: OrderRecord | Row, waiting: list[Row]) -> int:
    """The recipient became known: address and re-render the mails that waited for it (in
    the recipient's language, with the order number now known). `waiting`: from
    `confirmations.confirm`."""
    if not order.recipient_email:
        return 0
    for note in waiting:
        if note.kind == "delayed":
            subject, body = delayed_mail(recipient(order), note.promised_date, note.expected_date)
        elif note.kind in ("shipped", "delivered") and note.shipment_id is not None:
            shipment = await shipment_by_id(session, note.shipment_id)
            lines = (await lines_of(session, [note.shipment_id]))[note.shipment_id]
            renderer = render if note.kind == "shipped" else render_delivered
            subject, body = renderer(order, shipment, lines)
        else:  # a recall notice: written when the recall opened, only addressed now
            subject, body = note.subject, note.body
        await session.execute(_ADDRESSED, {"id": note.notification_id, "to_addr": order.recipient_email,
                                           "subject": subject, "body": body})
    return len(waiting)


async def add_delay_notification(
    session: AsyncSession, order: OrderRecord | Row | None, order_id: str, promised: date, expected: date
) -> bool:
    """Once per order and expected date (unique index): a redelivered PromiseChanged, or the
    same slip announced again, mails nothing more. False when it existed."""
    subject, body = delayed_mail(recipient(order), promised, expected)
    to_addr = order.recipient_email if order else None
    inserted = await session.execute(_ADD_DELAY_NOTICE, {
        "notification_id": uuid.uuid4(), "order_id": order_id, "dedup_key": expected.isoformat(),
        "promised_date": promised, "expected_date": expected, "to_addr": to_addr, "subject": subject, "body": body,
        "status": "pending" if to_addr else "waiting_recipient",
    })
    return inserted.first() is not None
