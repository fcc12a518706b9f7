"""The order row and the order's shipments on the event handlers' path: each fact is one
statement that creates the order's row if unknown, takes its lock and writes what the fact
says, returning what the handler decides on.

An upsert (INSERT ... ON CONFLICT DO UPDATE) locks the row it updates until the transaction
ends, as `repository.lock_order`'s SELECT ... FOR UPDATE does, and the two conflict: the
handlers and the operators' commands still serialize on the order row, in the same order
(order row first, then its shipments).

Why plain SQL built once: these run for every OrderPlaced, PromiseChanged and OrderAllocated,
and building ORM statements, their cache keys and ORM objects per call cost shipping more
CPU than the database work itself (measured: about half of a handler's CPU)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events.inventory import Allocation
from shipping.domain.shipment import Status

# What the handlers and the mails read of an order (attribute names as on OrderRecord).
_ORDER = (
    "o.order_id, o.order_no, o.recipient_name, o.recipient_email, o.cancelled_at, o.allocation_complete, "
    "o.language, o.lines, o.promised_date, o.expected_date"
)

_KEEP_RECIPIENT = text(
    "INSERT INTO orders AS o (order_id, order_no, recipient_name, recipient_email, recipient_address, "
    "recipient_phone, recipient_country, language, lines, updated_at) "
    "VALUES (:order_id, :order_no, :recipient_name, :recipient_email, :recipient_address, "
    ":recipient_phone, :recipient_country, :language, :lines, now()) "
    "ON CONFLICT (order_id) DO UPDATE SET order_no = excluded.order_no, recipient_name = excluded.recipient_name, "
    "recipient_email = excluded.recipient_email, recipient_address = excluded.recipient_address, "
    "recipient_phone = excluded.recipient_phone, recipient_country = excluded.recipient_country, "
    "language = excluded.language, lines = excluded.lines, updated_at = now() "
    f"RETURNING {_ORDER}"
).columns(lines=JSONB)

# `prior` reads the date the order had (locked; a concurrent writer is waited for and its
# version read), since only that tells the first date from a repeated one. A row that did
# not exist had none: the only writer of promised_date is this fact, one order's facts
# arriving one after another on one partition.
_KEEP_DATES = text(
    "WITH prior AS (SELECT promised_date FROM orders WHERE order_id = :order_id FOR UPDATE) "
    "INSERT INTO orders AS o (order_id, promised_date, expected_date, updated_at) "
    "VALUES (:order_id, :promised_date, :expected_date, now()) "
    "ON CONFLICT (order_id) DO UPDATE SET promised_date = coalesce(o.promised_date, excluded.promised_date), "
    "expected_date = excluded.expected_date, updated_at = now() "
    f"RETURNING {_ORDER}, (SELECT promised_date FROM prior) AS prior_promised_date"
).columns(lines=JSONB)

# allocation_complete only ever turns true; updated_at moves only when it does.
_KEEP_ALLOCATION_STATE = text(
    "INSERT INTO orders AS o (order_id, allocation_complete, updated_at) VALUES (:order_id, :completes, now()) "
    "ON CONFLICT (order_id) DO UPDATE SET allocation_complete = o.allocation_complete OR excluded.allocation_complete, "
    "updated_at = CASE WHEN excluded.allocation_complete AND NOT o.allocation_complete THEN now() "
    "ELSE o.updated_at END "
    "RETURNING o.allocation_complete, o.cancelled_at"
)

_SHIPMENTS_WITH_LINES = text(
    "SELECT s.shipment_id, s.seq, s.status, s.complete, l.allocation_id, l.line_no, l.sku, l.lot_id, l.lot_no, "
    "l.quantity, l.unit FROM shipments s LEFT JOIN shipment_lines l ON l.shipment_id = s.shipment_id "
    "WHERE s.order_id = :order_id ORDER BY s.seq, l.line_no, l.lot_no, l.allocation_id FOR UPDATE OF s"
)

_LINES_FROM_ARRAYS = (
    "SELECT CAST(:shipment_id AS uuid), a.* FROM unnest(CAST(:allocation_ids AS text[]), CAST(:line_nos AS int[]), "
    "CAST(:skus AS text[]), CAST(:lot_ids AS text[]), CAST(:lot_nos AS text[]), CAST(:quantities AS numeric[]), "
    "CAST(:units AS text[]), CAST(:expiry_dates AS date[])) AS a"
)
_LINE_COLUMNS = "shipment_lines (shipment_id, allocation_id, line_no, sku, lot_id, lot_no, quantity, unit, expiry_date)"

# The shipment and its lines in one statement (the lines' foreign key is checked at its end).
_PREPARE = text(
    "WITH shipment AS (INSERT INTO shipments (shipment_id, order_id, seq, status, prepared_at, updated_at) "
    "VALUES (:shipment_id, :order_id, :seq, 'prepared', now(), now())) "
    f"INSERT INTO {_LINE_COLUMNS} {_LINES_FROM_ARRAYS}"
)
_DROP_LINES = text("DELETE FROM shipment_lines WHERE shipment_id = :shipment_id")
_REFILL = text(
    "WITH touched AS (UPDATE shipments SET updated_at = now() WHERE shipment_id = :shipment_id) "
    f"INSERT INTO {_LINE_COLUMNS} {_LINES_FROM_ARRAYS}"
)


async def keep_recipient(session: AsyncSession, order_id: str, recipient: dict[str, Any]) -> Row:
    """OrderPlaced: the recipient, language and lines; the row locked, as it is now."""
    params = dict(recipient, order_id=order_id, lines=json.dumps(recipient["lines"]))
    return (await session.execute(_KEEP_RECIPIENT, params)).one()


async def keep_dates(session: AsyncSession, order_id: str, promised: date | None, expected: date | None) -> tuple[Row, bool]:
    """PromiseChanged: the first promised date stays, the latest expected date replaces the
    last; the row locked, as it is now, and whether this was the order's first date."""
    row = (await session.execute(
        _KEEP_DATES, {"order_id": order_id, "promised_date": promised, "expected_date": expected})).one()
    return row, promised is not None and row.prior_promised_date is None


async def keep_allocation_state(session: AsyncSession, order_id: str, completes: bool) -> Row:
    """OrderAllocated: remember that the order was completely allocated (monotonic); the row
    locked, with `allocation_complete` (true when this fact completes it: a decision on a
    complete state does not depend on the earlier one) and `cancelled_at`."""
    return (await session.execute(_KEEP_ALLOCATION_STATE, {"order_id": order_id, "completes": completes})).one()


@dataclass
class ShipmentState:
    """A shipment of the order as OrderAllocated decides on it, with its lines."""

    shipment_id: uuid.UUID
    seq: int
    status: Status
    complete: bool | None
    lines: list[Row] = field(default_factory=list)


async def shipments_with_lines(session: AsyncSession, order_id: str) -> list[ShipmentState]:
    """The order's shipments (locked), first first, each with its lines."""
    out: dict[uuid.UUID, ShipmentState] = {}
    for r in await session.execute(_SHIPMENTS_WITH_LINES, {"order_id": order_id}):
        s = out.get(r.shipment_id)
        if s is None:
            s = out[r.shipment_id] = ShipmentState(r.shipment_id, r.seq, Status(r.status), r.complete)
        if r.allocation_id is not None:
            s.lines.append(r)
    return list(out.values())


def _arrays(shipment_id: uuid.UUID, allocations: Sequence[Allocation]) -> dict[str, Any]:
    return dict(
        shipment_id=shipment_id, allocation_ids=[a.allocation_id for a in allocations],
        line_nos=[a.line_no for a in allocations], skus=[a.sku for a in allocations],
        lot_ids=[a.lot_id for a in allocations], lot_nos=[a.lot_no for a in allocations],
        quantities=[a.quantity for a in allocations], units=[a.unit.value for a in allocations],
        expiry_dates=[a.expiry_date for a in allocations],
    )


async def prepare(session: AsyncSession, shipment_id: uuid.UUID, order_id: str, seq: int,
                  allocations: Sequence[Allocation]) -> None:
    """A new prepared shipment carrying `allocations`."""
    await session.execute(_PREPARE, dict(_arrays(shipment_id, allocations), order_id=order_id, seq=seq))


def _line_key(line_no: int, allocation_id: str, sku: str, lot_id: str, lot_no: str, quantity, unit: str) -> tuple:
    return (allocation_id, line_no, sku, lot_id, lot_no, quantity.normalize(), unit)


async def replace_lines(session: AsyncSession, shipment: ShipmentState, allocations: Sequence[Allocation]) -> bool:
    """Make the prepared shipment's lines the given allocations (its updated_at moves). False,
    and nothing written, when they already were."""
    old = {_line_key(li.line_no, li.allocation_id, li.sku, li.lot_id, li.lot_no, li.quantity, li.unit)
           for li in shipment.lines}
    new = {_line_key(a.line_no, a.allocation_id, a.sku, a.lot_id, a.lot_no, a.quantity, a.unit.value)
           for a in allocations}
    if old == new:
        return False
    await session.execute(_DROP_LINES, {"shipment_id": shipment.shipment_id})
    await session.execute(_REFILL, _arrays(shipment.shipment_id, allocations))
    return True
