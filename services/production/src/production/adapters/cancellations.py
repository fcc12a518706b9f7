"""Storage of cancellations: cancelled orders, a batch's cancellation, shrinking and the
removal of a cancelled order's lines from what a batch covers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


def order_lock(order_id: str) -> str:
    """The advisory lock (`Context.lock`) that serializes everything production does about one
    order (its reservations and its cancellation), held to the end of the transaction. Without
    it a reservation and the cancellation handled at once could each miss the other's
    uncommitted work. The handlers are `serialized_by` it: it comes with the inbox claim."""
    return f"production-order:{order_id}"


async def record_order(session: AsyncSession, order_id: str, reason: str, at: datetime) -> bool:
    """Remember the order as cancelled; True the first time."""
    result = await session.execute(
        text(
            "INSERT INTO cancelled_orders (order_id, reason, cancelled_at) VALUES (:o, :r, :at) "
            "ON CONFLICT (order_id) DO NOTHING RETURNING 1"
        ),
        {"o": order_id, "r": reason, "at": at},
    )
    return result.first() is not None


async def is_order_cancelled(session: AsyncSession, order_id: str) -> bool:
    result = await session.execute(text("SELECT 1 FROM cancelled_orders WHERE order_id = :o"), {"o": order_id})
    return result.first() is not None


async def uncover_order(session: AsyncSession, batch_id: str, order_id: str) -> int:
    """The batch no longer covers any line of the order (its reserved lots stay recorded:
    they were set aside for the batch, which inventory resizes itself)."""
    result = await session.execute(
        text("DELETE FROM batch_covers WHERE batch_id = :b AND order_id = :o"), {"b": batch_id, "o": order_id}
    )
    return result.rowcount


async def shrink(session: AsyncSession, batch_id: str, quantity: Decimal) -> bool:
    """A planned batch gets smaller (never larger here); True if it changed."""
    result = await session.execute(
        text(
            "UPDATE batches SET planned_quantity = :q "
            "WHERE batch_id = :id AND status = 'planned' AND planned_quantity > :q"
        ),
        {"id": batch_id, "q": quantity},
    )
    return result.rowcount > 0


async def mark_cancelled(session: AsyncSession, batch_id: str, at: datetime, reason: str) -> bool:
    """planned -> cancelled; its covers stay as the record of what it was for."""
    result = await session.execute(
        text(
            "UPDATE batches SET status = 'cancelled', cancelled_at = :at, cancel_reason = :r "
            "WHERE batch_id = :id AND status = 'planned'"
        ),
        {"id": batch_id, "at": at, "r": reason},
    )
    return result.rowcount == 1
