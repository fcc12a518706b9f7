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

_UPSERT_RECIPIENT = (
    "INSERT INTO orders AS o (order_id, order_no, recipient_name, recipient_email, recipient_address, "
    "recipient_phone, recipient_country, language, lines, updated_at) "
    "VALUES (:order_id, :order_no, :recipient_name, :recipient_email, :recipient_address, "
    ":recipient_phone, :recipient_country, :language, :lines, now()) "
    "ON CONFLICT (order_id) DO UPDATE SET order_no = excluded.order_no, recipient_name = excluded.recipient_name, "
    "recipient_email = excluded.recipient_email, recipient_address = excluded.recipient_address, "
    "recipient_phone = excluded.recipient_phone, recipient_country = excluded.recipient_country, "
    "language = excluded.language, lines = excluded.lines, updated_at = now() "
    f"RETURNING {_ORDER}"
)
_KEEP_RECIPIENT = text(_UPSERT_RECIPIENT).columns(lines=JSONB)
# With the shop's ship-to as fields (`labels.ship_to_fields`), in the same statement: the
# ship-to CTE is not read, so it runs after the order's upsert, as it did as a statement of
# its own after it (the order row's lock first).
_SHIP_TO_FIELDS = ("name", "company", "street1", "street2", "city", "zip", "state", "country", "phone")
_KEEP_RECIPIENT_AND_SHIP_TO = text(
    "WITH ship_to AS (INSERT INTO ship_to_addresses (order_id, " + ", ".join(_SHIP_TO_FIELDS) + ") "
    "VALUES (:order_id, " + ", ".join(f":ship_to_{f}" for f in _SHIP_TO_FIELDS) + ") "
    "ON CONFLICT (order_id) DO UPDATE SET " + ", ".join(f"{f} = excluded.{f}" for f in _SHIP_TO_FIELDS) + ") "
    + _UPSERT_RECIPIENT
).columns(lines=JSONB)

# `prior` reads the date the order had (locked; a concurrent writer is waited for and its
# version read), since only that tells the first date from a repeated one. A row that did
# not exist had none: the only writer of promised_date is this fact, one order's facts
# arriving one after another on one partition. The INSERT's row is made from `prior` so that
# `prior` runs first: read only in RETURNING, it ran after the upsert had updated the row in
# the same statement, and a row the statement itself changed is not locked again, so it read
# nothing and every date looked like the first.
_KEEP_DATES = text(
    "WITH prior AS MATERIALIZED (SELECT promised_date FROM orders WHERE order_id = :order_id FOR UPDATE) "
    "INSERT INTO orders AS o (order_id, promised_date, expected_date, updated_at) "
    "SELECT :order_id, CAST(:promised_date AS date), CAST(:expected_date AS date), now() "
    "FROM (SELECT count(*) FROM prior) AS prior_first "
    "ON CONFLICT (order_id) DO UPDATE SET promised_date = coalesce(o.promised_date, excluded.promised_date), "
    "expected_date = excluded.expected_date, updated_at = now() "
    f"RETURNING {_ORDER}, (SELECT promised_date FROM prior) AS prior_promised_date"
).columns(lines=JSONB)

_SHIPMENT_COLUMNS = "s.shipment_id, s.seq, s.status, s.complete"
_LINE_READ = "l.allocation_id, l.line_no, l.sku, l.lot_id, l.lot_no, l.quantity, l.unit"

# The order's shipments with their lines, read under the order row's lock (taken before), and
# locked themselves: everything that changes them holds the order's lock first.
_SHIPMENTS_WITH_LINES = text(
    f"SELECT {_SHIPMENT_COLUMNS}, {_LINE_READ} FROM shipments s LEFT JOIN shipment_lines l ON l.shipment_id = s.shipment_id "
    "WHERE s.order_id = :order_id ORDER BY s.seq, l.line_no, l.lot_no, l.allocation_id FOR UPDATE OF s"
)

# OrderAllocated in one statement: the order row locked (`prior`, created if unknown by the
# upsert, which runs after it: its row is made from `prior`), allocation_complete kept (it
# only ever turns true; updated_at moves only when it does), then the order's shipments locked
# (`locked` waits for the upsert: it reads `kept`) and read with their lines.
#
# One statement reads with the snapshot it started with. When it had to wait for the order's
# lock, the holder committed after that snapshot: the rows it locks come as the holder left
# them (PostgreSQL re-reads a row it locks), the lines and any shipment the holder added as
# they were before. Whatever adds shipments or changes lines writes the order row first (this
# upsert always writes it): `current` says whether the order row the lock found is the version
# of the snapshot. When it is not, or there was no row yet, the shipments are read again
# (`_SHIPMENTS_WITH_LINES`), now under the lock. The ship command, a delivery and a repeated
# cancellation lock the order row without writing it, but add no shipment and change no
# lines: the shipment rows they change, `locked` re-reads as it locks them.
_ALLOCATION_STATE = text(
    "WITH prior AS MATERIALIZED (SELECT xmin AS version FROM orders WHERE order_id = :order_id FOR UPDATE), "
    "kept AS (INSERT INTO orders AS o (order_id, allocation_complete, updated_at) "
    "SELECT :order_id, CAST(:completes AS boolean), now() FROM (SELECT count(*) FROM prior) AS prior_first "
    "ON CONFLICT (order_id) DO UPDATE SET allocation_complete = o.allocation_complete OR excluded.allocation_complete, "
    "updated_at = CASE WHEN excluded.allocation_complete AND NOT o.allocation_complete THEN now() "
    "ELSE o.updated_at END "
    "RETURNING o.allocation_complete, o.cancelled_at), "
    f"locked AS MATERIALIZED (SELECT {_SHIPMENT_COLUMNS} FROM shipments s "
    "WHERE s.order_id = :order_id AND EXISTS (SELECT FROM kept) FOR UPDATE) "
    "SELECT k.allocation_complete, k.cancelled_at, "
    "coalesce((SELECT version FROM prior) = (SELECT xmin FROM orders WHERE order_id = :order_id), false) AS current, "
    f"{_SHIPMENT_COLUMNS}, {_LINE_READ} "
    "FROM kept k LEFT JOIN locked s ON true LEFT JOIN shipment_lines l ON l.shipment_id = s.shipment_id "
    "ORDER BY s.seq, l.line_no, l.lot_no, l.allocation_id"
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
# The prepared shipment's lines become the given ones, in one statement: lines no longer
# carried are deleted, the others written over (or added) by allocation id, so the DELETE and
# the INSERT never touch the same row.
_REPLACE_LINES = text(
    "WITH dropped AS (DELETE FROM shipment_lines WHERE shipment_id = :shipment_id "
    "AND allocation_id <> ALL (CAST(:allocation_ids AS text[]))), "
    "touched AS (UPDATE shipments SET updated_at = now() WHERE shipment_id = :shipment_id) "
    f"INSERT INTO {_LINE_COLUMNS} {_LINES_FROM_ARRAYS} "
    "ON CONFLICT (shipment_id, allocation_id) DO UPDATE SET line_no = excluded.line_no, sku = excluded.sku, "
    "lot_id = excluded.lot_id, lot_no = excluded.lot_no, quantity = excluded.quantity, unit = excluded.unit, "
    "expiry_date = excluded.expiry_date"
)


async def keep_recipient(session: AsyncSession, order_id: str, recipient: dict[str, Any],
                         ship_to: dict[str, Any] | None = None) -> Row:
    """OrderPlaced: the recipient, language and lines, and the shop's ship-to as fields when
    there is one; the row locked, as it is now."""
    params = dict(recipient, order_id=order_id, lines=json.dumps(recipient["lines"]))
    if ship_to is None:
        return (await session.execute(_KEEP_RECIPIENT, params)).one()
    params.update({f"ship_to_{f}": ship_to[f] for f in _SHIP_TO_FIELDS})
    return (await session.execute(_KEEP_RECIPIENT_AND_SHIP_TO, params)).one()


async def keep_dates(session: AsyncSession, order_id: str, promised: date | None, expected: date | None) -> tuple[Row, bool]:
    """PromiseChanged: the first promised date stays, the latest expected date replaces the
    last; the row locked, as it is now, and whether this was the order's first date."""
    row = (await session.execute(
        _KEEP_DATES, {"order_id": order_id, "promised_date": promised, "expected_date": expected})).one()
    return row, promised is not None and row.prior_promised_date is None


@dataclass
class ShipmentState:
    """A shipment of the order as OrderAllocated decides on it, with its lines."""

    shipment_id: uuid.UUID
    seq: int
    status: Status
    complete: bool | None
    lines: list[Row] = field(default_factory=list)


def _shipments(rows) -> list[ShipmentState]:
    out: dict[uuid.UUID, ShipmentState] = {}
    for r in rows:
        if r.shipment_id is None:  # the order's row alone: no shipment yet
            continue
        s = out.get(r.shipment_id)
        if s is None:
            s = out[r.shipment_id] = ShipmentState(r.shipment_id, r.seq, Status(r.status), r.complete)
        if r.allocation_id is not None:
            s.lines.append(r)
    return list(out.values())


async def keep_allocation_state(session: AsyncSession, order_id: str, completes: bool) -> tuple[Row, list[ShipmentState]]:
    """OrderAllocated: remember that the order was completely allocated (monotonic); the row
    locked, with `allocation_complete` (true when this fact completes it: a decision on a
    complete state does not depend on the earlier one) and `cancelled_at`; and the order's
    shipments (locked), first first, each with its lines."""
    rows = (await session.execute(_ALLOCATION_STATE, {"order_id": order_id, "completes": completes})).all()
    order = rows[0]
    if order.current:
        return order, _shipments(rows)
    return order, await shipments_with_lines(session, order_id)


async def shipments_with_lines(session: AsyncSession, order_id: str) -> list[ShipmentState]:
    """The order's shipments (locked), first first, each with its lines. The order's row lock
    is held already."""
    return _shipments(await session.execute(_SHIPMENTS_WITH_LINES, {"order_id": order_id}))


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
    await session.execute(_REPLACE_LINES, _arrays(shipment.shipment_id, allocations))
    return True
