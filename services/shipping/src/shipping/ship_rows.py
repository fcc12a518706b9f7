"""The ship command's statements (`POST /shipments/{id}/ship`): one that takes the locks and
reads what the command decides on, one that ships and queues the customer's e-mail. Built once
(see order_rows.py for why).

The locks as everywhere: the order's row first, then the shipment's, so the handlers and the
operators' commands see each other's whole decisions, never half of them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shipping import repository as repo
from shipping.shipment_views import LINE_COLUMNS, SHIPMENT_COLUMNS, hold_reasons

_ORDER_COLUMNS = ("order_id", "order_no", "recipient_name", "recipient_email", "recipient_address", "recipient_phone",
                  "recipient_country", "language", "allocation_complete")
_SHIPMENT = ", ".join(f"s.{c}" for c in SHIPMENT_COLUMNS)
_HOLDS_AND_LINES = f"{hold_reasons('s.shipment_id')} AS holds, {LINE_COLUMNS}"
_LINE_ORDER = "ORDER BY l.line_no, l.lot_no, l.allocation_id"

# The shipment's order (`target`: a shipment's order never changes) locked (`locked_order`),
# then the shipment (`locked_shipment` reads `locked_order`, so it waits for that lock), its
# holds and lines. One statement reads with the snapshot it started with: when it waited for
# the order's lock, its holder committed after it. The rows it locks come as the holder left
# them (PostgreSQL re-reads a row it locks); lines are changed only by OrderAllocated, which
# writes the order row (its upsert), so `current` (the order row's version is the snapshot's)
# says the lines read are as they are now; when it is not, they are read again under the locks
# (`_LOCKED_SHIPMENT`). Holds take no lock here or in their handlers: read when this statement
# started, as they were a moment later by a statement of their own.
_LOCK_AND_READ = text(
    "WITH target AS MATERIALIZED (SELECT order_id FROM shipments WHERE shipment_id = :shipment_id), "
    f"locked_order AS MATERIALIZED (SELECT {', '.join(_ORDER_COLUMNS)}, xmin AS version FROM orders "
    "WHERE order_id = (SELECT order_id FROM target) FOR UPDATE), "
    f"locked_shipment AS MATERIALIZED (SELECT {_SHIPMENT} FROM shipments s WHERE s.shipment_id = :shipment_id "
    "AND EXISTS (SELECT FROM locked_order) FOR UPDATE) "
    "SELECT t.order_id AS target_order_id, o.order_id IS NOT NULL AS order_locked, "
    "coalesce(o.version = (SELECT xmin FROM orders WHERE order_id = t.order_id), false) AS current, "
    f"{', '.join(f'o.{c} AS order_{c}' for c in _ORDER_COLUMNS)}, {_SHIPMENT}, {_HOLDS_AND_LINES} "
    "FROM target t LEFT JOIN locked_order o ON true LEFT JOIN locked_shipment s ON true "
    f"LEFT JOIN shipment_lines l ON l.shipment_id = s.shipment_id {_LINE_ORDER}"
)
# The shipment locked and read with its holds and lines, the order's lock held.
_LOCKED_SHIPMENT = text(
    f"WITH locked_shipment AS MATERIALIZED (SELECT {_SHIPMENT} FROM shipments s WHERE s.shipment_id = :shipment_id "
    f"FOR UPDATE) SELECT {_SHIPMENT}, {_HOLDS_AND_LINES} FROM locked_shipment s "
    f"LEFT JOIN shipment_lines l ON l.shipment_id = s.shipment_id {_LINE_ORDER}"
)
# prepared -> shipped, and the customer's e-mail queued (once per shipment: UNIQUE shipment/kind)
# in the same statement; the INSERT, read by nobody, runs after the UPDATE.
_SHIP = text(
    "WITH mail AS (INSERT INTO notifications (notification_id, order_id, shipment_id, kind, to_addr, subject, body, "
    "status, attempts, next_attempt_at, created_at) VALUES (:notification_id, :order_id, :shipment_id, 'shipped', "
    ":to_addr, :subject, :body, :mail_status, 0, now(), now()) ON CONFLICT (shipment_id, kind) DO NOTHING) "
    "UPDATE shipments s SET status = 'shipped', carrier = :carrier, tracking_no = :tracking_no, complete = :complete, "
    f"shipped_at = :shipped_at, updated_at = now() WHERE s.shipment_id = :shipment_id RETURNING {_SHIPMENT}"
)


@dataclass(frozen=True)
class OrderToShip:
    """The shipment's order as the command needs it (attribute names as on OrderRecord)."""

    order_id: str
    order_no: str | None
    recipient_name: str | None
    recipient_email: str | None
    recipient_address: str | None
    recipient_phone: str | None
    recipient_country: str | None
    language: str | None
    allocation_complete: bool


@dataclass(frozen=True)
class Locked:
    """What the ship command decides on, read under its locks."""

    order: Any  # OrderToShip, or the OrderRecord `repository.lock_order` made
    shipment: Any  # a row with shipment_views.SHIPMENT_COLUMNS
    holds: list[str]
    lines: list[Any]  # rows: line_no, sku, lot_id, lot_no, quantity, unit, allocation_id, expiry_date


def _read(rows: list[Any], order: Any) -> Locked | None:
    if not rows or rows[0].shipment_id is None:
        return None
    first = rows[0]
    return Locked(order, first, list(first.holds), [r for r in rows if r.allocation_id is not None])


async def lock_and_read(session: AsyncSession, shipment_id: uuid.UUID) -> Locked | None:
    """The shipment's order row locked, then the shipment; with the order, the shipment's
    holds and lines. None: no such shipment."""
    rows = (await session.execute(_LOCK_AND_READ, {"shipment_id": shipment_id})).all()
    if not rows:
        return None
    first = rows[0]
    if not first.order_locked:  # an order shipping has no row for: made, as every command does (lock_order)
        order = await repo.lock_order(session, first.target_order_id)
    else:
        order = OrderToShip(*(getattr(first, f"order_{c}") for c in _ORDER_COLUMNS))
        if first.current:
            return _read(rows, order)
    return _read((await session.execute(_LOCKED_SHIPMENT, {"shipment_id": shipment_id})).all(), order)


@dataclass(frozen=True)
class _Leaving:
    """The shipment as its e-mail describes it once shipped (`repository.render`)."""

    seq: int
    carrier: str
    tracking_no: str
    complete: bool


async def ship(session: AsyncSession, locked: Locked, carrier: str, tracking_no: str, complete: bool,
               at: datetime) -> Any:
    """prepared -> shipped, the customer's e-mail queued (waiting for the recipient when the
    order has no address yet); the shipment's row as it is now."""
    shipment = locked.shipment
    order = locked.order
    subject, body = repo.render(order, _Leaving(shipment.seq, carrier, tracking_no, complete), locked.lines)
    to_addr = order.recipient_email
    return (await session.execute(_SHIP, {
        "shipment_id": shipment.shipment_id, "order_id": shipment.order_id, "notification_id": uuid.uuid4(),
        "to_addr": to_addr, "subject": subject, "body": body,
        "mail_status": "pending" if to_addr else "waiting_recipient",
        "carrier": carrier, "tracking_no": tracking_no, "complete": complete, "shipped_at": at,
    })).one()
