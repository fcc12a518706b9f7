"""Storage of cancellations: cancelled orders, a batch's cancellation, shrinking and the
removal of a cancelled order's lines from what a batch covers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events.base import LineQuantity
from production.adapters import batches


def order_lock(order_id: str) -> str:
    """The advisory lock (`Context.lock`) that serializes everything production does about one
    order (its reservations and its cancellation), held to the end of the transaction. Without
    it a reservation and the cancellation handled at once could each miss the other's
    uncommitted work. The handlers are `serialized_by` it: it comes with the inbox claim."""
    return f"production-order:{order_id}"


# Everything an order's cancellation touches is locked by the first statement after the
# order lock: the order is remembered as cancelled, and each batch covering it is locked in
# the order the handler goes through them (planned_start, batch_no), as it used to lock them
# one by one. Which batches cover the order is settled: its lines change only under its lock.
_CANCEL_ORDER = text(
    "WITH recorded AS (INSERT INTO cancelled_orders (order_id, order_no, reason, cancelled_at) VALUES (:o, :n, :r, :at) "
    "ON CONFLICT (order_id) DO NOTHING) "
    f"SELECT {batches.COLUMNS} FROM batches WHERE batch_id IN (SELECT batch_id FROM batch_covers WHERE order_id = :o) "
    "ORDER BY planned_start, batch_no FOR UPDATE"
)


async def cancel_order(session: AsyncSession, order_id: str, order_no: str | None, reason: str,
                       at: datetime) -> list[batches.Batch]:
    """Remember the order as cancelled (the first time only) and return the batches that
    cover it, locked, in planned_start order."""
    params = {"o": order_id, "n": order_no, "r": reason, "at": at}
    return [batches.from_row(r) for r in await session.execute(_CANCEL_ORDER, params)]


# Read after the batch is locked (a statement of its own: its snapshot must see the lines
# other orders' reservations committed while this transaction waited for the lock).
_AT_STAKE = text(
    "SELECT rule.batch_min, rule.batch_multiple, rule.output_unit, line.order_id, line.line_no, line.quantity "
    "FROM (SELECT) AS one "
    "LEFT JOIN LATERAL (SELECT batch_min, batch_multiple, output_unit FROM recipes WHERE sku = :sku "
    "ORDER BY (recipe_version = :v) DESC, recipe_version DESC LIMIT 1) AS rule ON true "
    "LEFT JOIN batch_covers AS line ON line.batch_id = :b "
    "ORDER BY line.added_at, line.order_id, line.line_no"
)


@dataclass(frozen=True)
class AtStake:
    covers: list[LineQuantity]  # every line the batch covers, as batches.covers reads them
    # batch_min, batch_multiple, output_unit of the recipe version the batch was planned with,
    # else of the latest one; None if the recipe is unknown here.
    rules: Mapping[str, Any] | None


async def at_stake(session: AsyncSession, batch: batches.Batch) -> AtStake:
    """What the fate of a locked batch is decided on, in one round trip."""
    rows = (await session.execute(_AT_STAKE, {"b": batch.batch_id, "sku": batch.sku, "v": batch.recipe_version})).all()
    first = rows[0]
    rules = None if first.output_unit is None else {
        "batch_min": first.batch_min, "batch_multiple": first.batch_multiple, "output_unit": first.output_unit}
    return AtStake([LineQuantity(order_id=r.order_id, line_no=r.line_no, quantity=r.quantity)
                    for r in rows if r.order_id is not None], rules)


# The batch no longer covers any line of the order (its reserved lots stay recorded: they
# were set aside for the batch, which inventory resizes itself); a planned batch gets smaller
# (never larger here) when :shrink_to is given.
_DROP_ORDER = text(
    "WITH uncovered AS (DELETE FROM batch_covers WHERE batch_id = :b AND order_id = :o) "
    "UPDATE batches SET planned_quantity = CAST(:shrink_to AS numeric) WHERE batch_id = :b AND status = 'planned' "
    "AND planned_quantity > CAST(:shrink_to AS numeric) RETURNING planned_quantity"
)


async def drop_order(session: AsyncSession, batch_id: str, order_id: str, shrink_to: Decimal | None = None) -> Decimal | None:
    """Remove the order's lines from the batch and shrink it to `shrink_to` if smaller; the
    batch's new size if it shrank."""
    result = await session.execute(_DROP_ORDER, {"b": batch_id, "o": order_id, "shrink_to": shrink_to})
    return result.scalar()


_MARK_CANCELLED = text(
    "UPDATE batches SET status = 'cancelled', cancelled_at = :at, cancel_reason = :r "
    "WHERE batch_id = :id AND status = 'planned'"
)


async def mark_cancelled(session: AsyncSession, batch_id: str, at: datetime, reason: str) -> bool:
    """planned -> cancelled; its covers stay as the record of what it was for."""
    result = await session.execute(_MARK_CANCELLED, {"id": batch_id, "at": at, "r": reason})
    return result.rowcount == 1
