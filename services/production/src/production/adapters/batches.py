"""Batch storage: batches, the order lines they cover, reserved lots and actual consumption."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events.base import LineQuantity
from production.domain.completion import LotUse
from production.domain.lifecycle import BatchStatus

# Any constant: "choosing start days". Held to the end of the transaction so two batches
# planned at once cannot both take the last slot of a day.
_SCHEDULING_LOCK = 7_301_103


@dataclass(frozen=True)
class Batch:
    batch_id: str
    batch_no: str
    sku: str
    recipe_version: int
    planned_quantity: Decimal
    unit: str
    status: BatchStatus
    planned_start: date
    planned_end: date
    lead_time_days: int
    started_at: datetime | None
    completed_at: datetime | None
    output_quantity: Decimal | None
    waste_quantity: Decimal | None
    expiry_date: date | None
    created_at: datetime
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    # order: planned for customer orders; stock: a replenishment (reorder point), no order needed.
    purpose: str = "order"


_FIELDS = tuple(Batch.__dataclass_fields__)
COLUMNS = ", ".join(_FIELDS)
_BATCH = f"SELECT {COLUMNS} FROM batches"

# The statements of the event handlers' path are built once: a text() built per call is
# scanned for its parameters and keyed for the compiled cache again on every execution.
_GET = text(_BATCH + " WHERE batch_id = :id")
_GET_LOCKED = text(_BATCH + " WHERE batch_id = :id FOR UPDATE")


def from_row(row) -> Batch:
    """The Batch in a row that selected COLUMNS (among others)."""
    values = {name: row._mapping[name] for name in _FIELDS}
    values["status"] = BatchStatus(values["status"])
    return Batch(**values)


async def get(session: AsyncSession, batch_id: str, *, lock: bool = False) -> Batch | None:
    row = (await session.execute(_GET_LOCKED if lock else _GET, {"id": batch_id})).first()
    return from_row(row) if row else None


# The batch, locked, and whether its order is cancelled; a plan not there yet takes the
# scheduling lock in the same round trip (after looking for the batch: the lock order of
# get-then-lock_scheduling), and the caller reads it again with `planning`, whose snapshot
# is taken once that lock is held.
_FOR_RESERVATION = text(
    "SELECT cancelled.order_id IS NOT NULL AS order_cancelled, cancelled.order_no AS cancelled_order_no, "
    f"CASE WHEN found.batch_id IS NULL THEN pg_advisory_xact_lock({_SCHEDULING_LOCK}) END AS scheduling, found.* "
    "FROM (SELECT) AS one LEFT JOIN cancelled_orders AS cancelled ON cancelled.order_id = :o "
    f"LEFT JOIN LATERAL ({_BATCH} WHERE batch_id = :id FOR UPDATE) AS found ON true"
)


@dataclass(frozen=True)
class ReservationTarget:
    batch: Batch | None  # locked; None: not planned yet, and the scheduling lock is held
    order_cancelled: bool
    cancelled_order_no: str | None = None  # the cancelled order's number, when its cancellation gave it


async def for_reservation(session: AsyncSession, batch_id: str, order_id: str) -> ReservationTarget:
    """What a reservation of `order_id` on the plan `batch_id` works on, in one round trip:
    get(lock=True), whether the order is cancelled here and, for a new plan, lock_scheduling."""
    row = (await session.execute(_FOR_RESERVATION, {"id": batch_id, "o": order_id})).one()
    return ReservationTarget(None if row.batch_id is None else from_row(row), row.order_cancelled,
                             row.cancelled_order_no)


# Under the scheduling lock: the plan if a concurrent planning made it meanwhile, else the
# day load and the next batch number (taken only when the plan is still to be made).
_PLANNING = text(
    "SELECT load.days, load.batches, "
    "CASE WHEN found.batch_id IS NULL THEN nextval('batch_no_seq') END AS sequence, found.* "
    "FROM (SELECT array_agg(planned_start) AS days, array_agg(n) AS batches FROM ("
    "SELECT planned_start, count(*) AS n FROM batches WHERE status IN ('planned', 'started') "
    "AND planned_start >= :since GROUP BY planned_start) AS per_day) AS load "
    f"LEFT JOIN LATERAL ({_BATCH} WHERE batch_id = :id FOR UPDATE) AS found ON true"
)


@dataclass(frozen=True)
class Planning:
    batch: Batch | None  # planned meanwhile (locked): nothing to plan
    load: dict[date, int]  # as day_load(since)
    sequence: int | None  # the next batch number, when the batch is still to be planned


async def planning(session: AsyncSession, batch_id: str, since: date) -> Planning:
    """get(lock=True), else day_load(since) and the next batch number, in one round trip; call
    it holding the scheduling lock."""
    row = (await session.execute(_PLANNING, {"id": batch_id, "since": since})).one()
    if row.batch_id is not None:
        return Planning(from_row(row), {}, None)
    return Planning(None, dict(zip(row.days or [], row.batches or [])), int(row.sequence))


async def find(session: AsyncSession, status: str | None = None, sku: str | None = None) -> list[Batch]:
    sql = _BATCH + " WHERE (CAST(:status AS text) IS NULL OR status = :status) AND (CAST(:sku AS text) IS NULL OR sku = :sku)"
    rows = await session.execute(text(sql + " ORDER BY planned_start, batch_no"), {"status": status, "sku": sku})
    return [from_row(r) for r in rows]


async def covering(session: AsyncSession, order_id: str) -> list[Batch]:
    sql = _BATCH + " WHERE batch_id IN (SELECT batch_id FROM batch_covers WHERE order_id = :o) ORDER BY planned_start, batch_no"
    return [from_row(r) for r in await session.execute(text(sql), {"o": order_id})]


_LOCK_SCHEDULING = text(f"SELECT pg_advisory_xact_lock({_SCHEDULING_LOCK})")


async def lock_scheduling(session: AsyncSession) -> None:
    await session.execute(_LOCK_SCHEDULING)


async def day_load(session: AsyncSession, since: date, until: date | None = None) -> dict[date, int]:
    """Planned + started batches per planned_start day, from `since` (to `until`, inclusive)."""
    rows = await session.execute(
        text(
            "SELECT planned_start, count(*) FROM batches WHERE status IN ('planned', 'started') "
            "AND planned_start >= :since AND (CAST(:until AS date) IS NULL OR planned_start <= :until) "
            "GROUP BY planned_start"
        ),
        {"since": since, "until": until},
    )
    return {day: n for day, n in rows}


_INSERT_COLUMNS = (
    "batch_id, batch_no, sku, recipe_version, planned_quantity, unit, status, planned_start, planned_end, "
    "lead_time_days, cancelled_at, cancel_reason, purpose"
)
_INSERT_VALUES = ", ".join(f":{name}" for name in _INSERT_COLUMNS.split(", "))
_INSERT = text(f"INSERT INTO batches ({_INSERT_COLUMNS}) VALUES ({_INSERT_VALUES})")


def _inserted(b: Batch) -> dict:
    return {name: getattr(b, name) for name in _INSERT_COLUMNS.split(", ")} | {"status": b.status.value}


async def insert(session: AsyncSession, b: Batch) -> None:
    await session.execute(_INSERT, _inserted(b))


_MARK_FOR_STOCK = text("UPDATE batches SET purpose = 'stock' WHERE batch_id = :b")


async def mark_for_stock(session: AsyncSession, batch: Batch) -> Batch:
    """The plan is a batch for stock (its orders' cancellations never cancel it)."""
    await session.execute(_MARK_FOR_STOCK, {"b": batch.batch_id})
    return replace(batch, purpose="stock")


# The lots reserved for the batch on behalf of an order line; a lot recorded before with
# another quantity takes the new one. A row per lot that changed.
_RESERVE_LOTS = (
    "INSERT INTO batch_materials (batch_id, order_id, line_no, lot_id, sku, lot_no, quantity, unit, expiry_date) "
    "SELECT :b, :o, :l, r.lot_id, r.sku, r.lot_no, r.quantity, r.unit, r.expiry_date "
    "FROM unnest(CAST(:lot_ids AS text[]), CAST(:skus AS text[]), CAST(:lot_nos AS text[]), "
    "CAST(:quantities AS numeric[]), CAST(:units AS text[]), CAST(:expiries AS date[])) "
    "AS r(lot_id, sku, lot_no, quantity, unit, expiry_date) "
    "ON CONFLICT (batch_id, order_id, line_no, lot_id) DO UPDATE SET quantity = EXCLUDED.quantity "
    "WHERE batch_materials.quantity <> EXCLUDED.quantity RETURNING 1"
)
_RESERVE = text(_RESERVE_LOTS)

# Recording an order line's reservation on a batch is one statement of data-modifying CTEs
# (all of them see the snapshot the statement started with, none sees the others' writes):
# - grown: a plan only grows (its size is inventory's decision); :grow_to NULL: it does not.
# - covered: the batch covers the line; the latest promise replaces an earlier one, never
#   adds to it. A row only if something changed.
# - reserved: _RESERVE_LOTS.
# It returns every line the batch covers after it, as `covers` reads them: the stored lines
# with the one just written in their place.
_GROWN = (
    "grown AS (UPDATE batches SET planned_quantity = CAST(:grow_to AS numeric) "
    "WHERE batch_id = :b AND status = 'planned' AND planned_quantity < CAST(:grow_to AS numeric) "
    "RETURNING planned_quantity)"
)
_RECORDED = (
    "covered AS (INSERT INTO batch_covers (batch_id, order_id, line_no, quantity) VALUES (:b, :o, :l, :q) "
    "ON CONFLICT (batch_id, order_id, line_no) DO UPDATE SET quantity = EXCLUDED.quantity "
    "WHERE batch_covers.quantity <> EXCLUDED.quantity RETURNING order_id, line_no, quantity, added_at), "
    f"reserved AS ({_RESERVE_LOTS}) "
    "SELECT changes.*, line.order_id, line.line_no, line.quantity FROM (SELECT {grown_to} AS grown_to, "
    "EXISTS (SELECT FROM covered) AS covered, EXISTS (SELECT FROM reserved) AS reserved) AS changes "
    "LEFT JOIN (SELECT order_id, line_no, quantity, added_at FROM covered UNION ALL "
    "SELECT order_id, line_no, quantity, added_at FROM batch_covers WHERE batch_id = :b "
    "AND (order_id, line_no) NOT IN (SELECT order_id, line_no FROM covered)) AS line ON true "
    "ORDER BY line.added_at, line.order_id, line.line_no"
)
_RECORD = text("WITH " + _GROWN + ", " + _RECORDED.format(grown_to="(SELECT planned_quantity FROM grown)"))
# A new plan: the batch is inserted with its first line (the lines' foreign keys are checked
# at the end of the statement, when the batch is there).
_PLAN = text(
    f"WITH planned AS (INSERT INTO batches ({_INSERT_COLUMNS}) VALUES ({_INSERT_VALUES})), "
    + _RECORDED.format(grown_to="CAST(NULL AS numeric)")
)


@dataclass(frozen=True)
class Recorded:
    """What recording a line's reservation changed, and what the batch covers after it."""

    grown_to: Decimal | None  # the plan's new size, if it grew
    covered: bool  # the line was new or its quantity changed
    reserved: bool  # a lot was recorded or its quantity changed
    covers: list[LineQuantity]  # every line the batch covers, as `covers` reads them

    @property
    def changed(self) -> bool:
        return self.grown_to is not None or self.covered or self.reserved


def _lots(batch_id: str, order_id: str, line_no: int, lots: Sequence[LotUse]) -> dict:
    return {"b": batch_id, "o": order_id, "l": line_no, "lot_ids": [lot.lot_id for lot in lots],
            "skus": [lot.sku for lot in lots], "lot_nos": [lot.lot_no for lot in lots],
            "quantities": [lot.quantity for lot in lots], "units": [lot.unit for lot in lots],
            "expiries": [lot.expiry_date for lot in lots]}


def _recorded(rows) -> Recorded:
    rows = rows.all()
    first = rows[0]
    return Recorded(first.grown_to, first.covered, first.reserved,
                    [LineQuantity(order_id=r.order_id, line_no=r.line_no, quantity=r.quantity)
                     for r in rows if r.order_id is not None])


async def record(session: AsyncSession, batch_id: str, order_id: str, line_no: int, quantity: Decimal,
                 lots: Sequence[LotUse], *, grow_to: Decimal | None = None) -> Recorded:
    """The batch (locked by the caller) covers the order line with `quantity` and records the
    lots reserved for it on behalf of the line; a planned batch grows to `grow_to` if given
    and larger. One round trip."""
    params = _lots(batch_id, order_id, line_no, lots) | {"q": quantity, "grow_to": grow_to}
    return _recorded(await session.execute(_RECORD, params))


async def plan(session: AsyncSession, b: Batch, order_id: str, line_no: int, quantity: Decimal,
               lots: Sequence[LotUse]) -> Recorded:
    """insert(b), then record the order line it is planned for. One round trip."""
    params = _inserted(b) | _lots(b.batch_id, order_id, line_no, lots) | {"q": quantity}
    return _recorded(await session.execute(_PLAN, params))


async def reserve(session: AsyncSession, batch_id: str, order_id: str, line_no: int, lots: Sequence[LotUse]) -> bool:
    """Record the lots reserved for the batch on behalf of this line, in one statement (a
    lot recorded before with another quantity takes the new one). True if something changed."""
    if not lots:
        return False
    result = await session.execute(_RESERVE, _lots(batch_id, order_id, line_no, lots))
    return result.first() is not None


_COVERS = text(
    "SELECT batch_id, order_id, line_no, quantity FROM batch_covers WHERE batch_id = ANY(:ids) "
    "ORDER BY added_at, order_id, line_no"
)


async def covers(session: AsyncSession, batch_ids: Sequence[str]) -> dict[str, list[LineQuantity]]:
    rows = await session.execute(_COVERS, {"ids": list(batch_ids)})
    out: dict[str, list[LineQuantity]] = {b: [] for b in batch_ids}
    for batch_id, order_id, line_no, quantity in rows:
        out[batch_id].append(LineQuantity(order_id=order_id, line_no=line_no, quantity=quantity))
    return out


async def reservations(session: AsyncSession, batch_id: str) -> list[LotUse]:
    rows = await session.execute(
        text(
            "SELECT lot_id, sku, lot_no, quantity, unit, expiry_date FROM batch_materials "
            "WHERE batch_id = :b ORDER BY sku, lot_no, order_id, line_no"
        ),
        {"b": batch_id},
    )
    return [LotUse(**r._mapping) for r in rows]


async def consumption(session: AsyncSession, batch_id: str) -> list[LotUse]:
    rows = await session.execute(
        text("SELECT lot_id, sku, lot_no, quantity, unit FROM batch_consumption WHERE batch_id = :b ORDER BY sku, lot_no"),
        {"b": batch_id},
    )
    return [LotUse(**r._mapping) for r in rows]


async def mark_started(session: AsyncSession, batch_id: str, at: datetime) -> bool:
    result = await session.execute(
        text("UPDATE batches SET status = 'started', started_at = :at WHERE batch_id = :id AND status = 'planned'"),
        {"id": batch_id, "at": at},
    )
    return result.rowcount == 1


async def mark_completed(
    session: AsyncSession, batch_id: str, at: datetime, output: Decimal, waste: Decimal, expiry: date | None, used: list[LotUse]
) -> bool:
    result = await session.execute(
        text(
            "UPDATE batches SET status = 'completed', completed_at = :at, output_quantity = :out, "
            "waste_quantity = :waste, expiry_date = :exp WHERE batch_id = :id AND status = 'started'"
        ),
        {"id": batch_id, "at": at, "out": output, "waste": waste, "exp": expiry},
    )
    if result.rowcount != 1:
        return False
    for lot in used:
        await session.execute(
            text(
                "INSERT INTO batch_consumption (batch_id, lot_id, sku, lot_no, quantity, unit) "
                "VALUES (:b, :lot_id, :sku, :lot_no, :quantity, :unit)"
            ),
            {"b": batch_id, **{k: v for k, v in lot.__dict__.items() if k != "expiry_date"}},
        )
    return True
