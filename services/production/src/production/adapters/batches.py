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


_BATCH = "SELECT " + ", ".join(Batch.__dataclass_fields__) + " FROM batches"


def _batch(row) -> Batch:
    values = dict(row._mapping)
    values["status"] = BatchStatus(values["status"])
    return Batch(**values)


async def get(session: AsyncSession, batch_id: str, *, lock: bool = False) -> Batch | None:
    sql = _BATCH + " WHERE batch_id = :id" + (" FOR UPDATE" if lock else "")
    row = (await session.execute(text(sql), {"id": batch_id})).first()
    return _batch(row) if row else None


async def find(session: AsyncSession, status: str | None = None, sku: str | None = None) -> list[Batch]:
    sql = _BATCH + " WHERE (CAST(:status AS text) IS NULL OR status = :status) AND (CAST(:sku AS text) IS NULL OR sku = :sku)"
    rows = await session.execute(text(sql + " ORDER BY planned_start, batch_no"), {"status": status, "sku": sku})
    return [_batch(r) for r in rows]


async def covering(session: AsyncSession, order_id: str) -> list[Batch]:
    sql = _BATCH + " WHERE batch_id IN (SELECT batch_id FROM batch_covers WHERE order_id = :o) ORDER BY planned_start, batch_no"
    return [_batch(r) for r in await session.execute(text(sql), {"o": order_id})]


async def lock_scheduling(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEDULING_LOCK})


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


async def next_sequence(session: AsyncSession) -> int:
    return int((await session.execute(text("SELECT nextval('batch_no_seq')"))).scalar_one())


async def insert(session: AsyncSession, b: Batch) -> None:
    await session.execute(
        text(
            "INSERT INTO batches (batch_id, batch_no, sku, recipe_version, planned_quantity, unit, status, "
            "planned_start, planned_end, lead_time_days, cancelled_at, cancel_reason, purpose) VALUES (:batch_id, "
            ":batch_no, :sku, :recipe_version, :planned_quantity, :unit, :status, :planned_start, :planned_end, "
            ":lead_time_days, :cancelled_at, :cancel_reason, :purpose)"
        ),
        {**b.__dict__, "status": b.status.value},
    )


async def mark_for_stock(session: AsyncSession, batch: Batch) -> Batch:
    """The plan is a batch for stock (its orders' cancellations never cancel it)."""
    await session.execute(text("UPDATE batches SET purpose = 'stock' WHERE batch_id = :b"), {"b": batch.batch_id})
    return replace(batch, purpose="stock")


async def grow(session: AsyncSession, batch_id: str, quantity: Decimal) -> bool:
    """A plan only grows (its size is inventory's decision); True if it changed."""
    result = await session.execute(
        text("UPDATE batches SET planned_quantity = :q WHERE batch_id = :id AND status = 'planned' AND planned_quantity < :q"),
        {"id": batch_id, "q": quantity},
    )
    return result.rowcount > 0


async def cover(session: AsyncSession, batch_id: str, order_id: str, line_no: int, quantity: Decimal) -> LineQuantity | None:
    """Record that the batch covers this order line (the latest promise replaces an earlier
    one, never adds to it). The cover as stored if something changed, else None."""
    result = await session.execute(
        text(
            "INSERT INTO batch_covers (batch_id, order_id, line_no, quantity) VALUES (:b, :o, :l, :q) "
            "ON CONFLICT (batch_id, order_id, line_no) DO UPDATE SET quantity = EXCLUDED.quantity "
            "WHERE batch_covers.quantity <> EXCLUDED.quantity RETURNING quantity"
        ),
        {"b": batch_id, "o": order_id, "l": line_no, "q": quantity},
    )
    stored = result.scalar()
    return None if stored is None else LineQuantity(order_id=order_id, line_no=line_no, quantity=stored)


async def reserve(session: AsyncSession, batch_id: str, order_id: str, line_no: int, lots: Sequence[LotUse]) -> bool:
    """Record the lots reserved for the batch on behalf of this line, in one statement (a
    lot recorded before with another quantity takes the new one). True if something changed."""
    if not lots:
        return False
    result = await session.execute(
        text(
            "INSERT INTO batch_materials (batch_id, order_id, line_no, lot_id, sku, lot_no, quantity, unit, expiry_date) "
            "SELECT :b, :o, :l, r.lot_id, r.sku, r.lot_no, r.quantity, r.unit, r.expiry_date "
            "FROM unnest(CAST(:lot_ids AS text[]), CAST(:skus AS text[]), CAST(:lot_nos AS text[]), "
            "CAST(:quantities AS numeric[]), CAST(:units AS text[]), CAST(:expiries AS date[])) "
            "AS r(lot_id, sku, lot_no, quantity, unit, expiry_date) "
            "ON CONFLICT (batch_id, order_id, line_no, lot_id) DO UPDATE SET quantity = EXCLUDED.quantity "
            "WHERE batch_materials.quantity <> EXCLUDED.quantity RETURNING 1"
        ),
        {"b": batch_id, "o": order_id, "l": line_no, "lot_ids": [lot.lot_id for lot in lots],
         "skus": [lot.sku for lot in lots], "lot_nos": [lot.lot_no for lot in lots],
         "quantities": [lot.quantity for lot in lots], "units": [lot.unit for lot in lots],
         "expiries": [lot.expiry_date for lot in lots]},
    )
    return result.first() is not None


async def covers(session: AsyncSession, batch_ids: Sequence[str]) -> dict[str, list[LineQuantity]]:
    rows = await session.execute(
        text(
            "SELECT batch_id, order_id, line_no, quantity FROM batch_covers WHERE batch_id = ANY(:ids) "
            "ORDER BY added_at, order_id, line_no"
        ),
        {"ids": list(batch_ids)},
    )
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
