"""Shipments as the API shows them (`ShipmentOut`): each with its lines, its order's number
and ship-to, and why it is blocked (the held lots it carries), read in one statement.

Why one statement built once: the floor's screen lists the prepared shipments several times a
second, and the list read them in four statements (shipments, lines, orders, holds) built as
ORM queries on every call, in a transaction of its own; the building and the ORM objects cost
more CPU than the database work. A list needs no transaction: its single statement runs on
its own (`repository.reads`)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from shipping.domain.shipment import Status, shown_status
from shipping.schemas import LineOut, ShipmentOut, ShipToOut

SHIPMENT_COLUMNS = ("shipment_id", "order_id", "seq", "status", "complete", "carrier", "tracking_no", "prepared_at",
                    "shipped_at", "delivered_at", "cancelled_at")
_SHIP_TO = ("recipient_name", "recipient_email", "recipient_address", "recipient_phone", "recipient_country")
_LINE = ("line_no", "sku", "lot_id", "lot_no", "quantity", "unit", "allocation_id", "expiry_date")
LINE_COLUMNS = ", ".join(f"l.{c}" for c in _LINE)


def hold_reasons(shipment_id: str) -> str:
    """SQL: why the shipment `shipment_id` (an SQL expression) is blocked, one phrase per held
    lot it carries, by lot number (as `recalls.holds_of` words them)."""
    return (
        "ARRAY(SELECT 'lot ' || h.lot_no || ' is on hold' || coalesce(' (recall ' || nullif(h.recall_id, '') || ')', '') "
        "|| ': ' || h.reason FROM held_lots h WHERE h.held AND h.lot_id IN "
        f"(SELECT hl.lot_id FROM shipment_lines hl WHERE hl.shipment_id = {shipment_id}) ORDER BY h.lot_no, h.lot_id)"
    )


def _statement(where: str, limit: bool) -> Any:
    # `picked`: the shipments shown, newest first, numbered in that order (`pos`) so that
    # joining their lines keeps it. Holds matter only for a prepared shipment (shown blocked).
    cols = ", ".join(f"s.{c}" for c in SHIPMENT_COLUMNS)
    return text(
        f"WITH picked AS MATERIALIZED (SELECT p.*, row_number() OVER () AS pos FROM (SELECT {cols} FROM shipments s "
        f"WHERE {where} ORDER BY s.prepared_at DESC{' LIMIT :limit' if limit else ''}) AS p), "
        "shown AS MATERIALIZED (SELECT p.*, CASE WHEN p.status = 'prepared' "
        f"THEN {hold_reasons('p.shipment_id')} ELSE '{{}}' END AS holds FROM picked p) "
        f"SELECT {', '.join(f'p.{c}' for c in SHIPMENT_COLUMNS)}, p.holds, o.order_id IS NOT NULL AS order_known, "
        f"o.order_no, {', '.join(f'o.{c}' for c in _SHIP_TO)}, st.name AS addressee, {LINE_COLUMNS} "
        "FROM shown p LEFT JOIN orders o ON o.order_id = p.order_id "
        "LEFT JOIN ship_to_addresses st ON st.order_id = p.order_id "
        "LEFT JOIN shipment_lines l ON l.shipment_id = p.shipment_id ORDER BY p.pos, l.line_no, l.lot_no, l.allocation_id"
    )


# GET /shipments by (status given, order given); the limit applies to the stored status, as
# before: a blocked shipment is a prepared one, filtered once its holds are known.
_LISTS = {
    (False, False): _statement("true", limit=True),
    (True, False): _statement("s.status = :status", limit=True),
    (False, True): _statement("s.order_id = :order_id", limit=True),
    (True, True): _statement("s.status = :status AND s.order_id = :order_id", limit=True),
}
_BY_ID = _statement("s.shipment_id = :shipment_id", limit=False)


def line(row: Any) -> LineOut:
    return LineOut(line_no=row.line_no, sku=row.sku, lot_id=row.lot_id, lot_no=row.lot_no, quantity=row.quantity,
                   unit=row.unit, allocation_id=row.allocation_id, expiry_date=row.expiry_date)


def ship_to(order: Any | None) -> ShipToOut | None:
    """The order's ship-to and whom we mail; None when the order is not known here."""
    if order is None:
        return None
    return ShipToOut(name=order.recipient_name, addressee=getattr(order, "addressee", None), email=order.recipient_email,
                     address=order.recipient_address, phone=order.recipient_phone, country=order.recipient_country)


def view(shipment: Any, lines: list[LineOut], order: Any | None, holds: list[str]) -> ShipmentOut:
    """`shipment`: a row with SHIPMENT_COLUMNS; `order`: the order's row (None: not known here);
    `holds`: why each held lot it carries is held."""
    status = shown_status(Status(shipment.status), holds)
    return ShipmentOut(
        shipment_id=shipment.shipment_id, order_id=shipment.order_id, order_no=order.order_no if order else None,
        seq=shipment.seq, status=status.value, complete=shipment.complete, carrier=shipment.carrier,
        tracking_no=shipment.tracking_no, prepared_at=shipment.prepared_at, shipped_at=shipment.shipped_at,
        delivered_at=shipment.delivered_at, cancelled_at=shipment.cancelled_at, lines=lines,
        ship_to=ship_to(order), blocked_reasons=holds if status is Status.BLOCKED else [],
    )


def _views(rows: Any) -> list[ShipmentOut]:
    out: list[ShipmentOut] = []
    current, lines = None, []
    for row in rows:
        if current is None or row.shipment_id != current.shipment_id:
            if current is not None:
                out.append(view(current, lines, current if current.order_known else None, current.holds))
            current, lines = row, []
        if row.allocation_id is not None:
            lines.append(line(row))
    if current is not None:
        out.append(view(current, lines, current if current.order_known else None, current.holds))
    return out


async def listed(executor: Any, status: Status | None, order_id: str | None, limit: int) -> list[ShipmentOut]:
    """GET /shipments: newest first, at most `limit` by stored status (blocked: prepared ones,
    only those shown blocked)."""
    stored = Status.PREPARED if status is Status.BLOCKED else status
    params: dict[str, Any] = {"limit": limit}
    if stored:
        params["status"] = stored.value
    if order_id:
        params["order_id"] = order_id
    views = _views(await executor.execute(_LISTS[(bool(stored), bool(order_id))], params))
    return [v for v in views if status is None or v.status == status.value]


async def by_id(executor: Any, shipment_id: uuid.UUID) -> ShipmentOut | None:
    """One shipment as shown; `executor`: a session (in its transaction) or a connection."""
    views = _views(await executor.execute(_BY_ID, {"shipment_id": shipment_id}))
    return views[0] if views else None
