"""The batch events raised from more than one place (handlers and operator commands), built
from the batch as stored, so every announcement carries the full current plan (a batch born
in the same transaction: from what it was inserted with, which is what is stored)."""

from __future__ import annotations

from datetime import datetime

from contracts.events import BatchCancelled, BatchScheduled
from contracts.events.base import LineQuantity
from eventkit import Context
from production.adapters import batches


async def scheduled(ctx: Context, batch_id: str, correlation_id: str | None = None) -> None:
    """BatchScheduled with the batch's current size, dates and every line it covers."""
    batch = await batches.get(ctx.session, batch_id)
    covered = (await batches.covers(ctx.session, [batch_id]))[batch_id]
    await scheduled_as(ctx, batch, covered, correlation_id)


async def scheduled_as(
    ctx: Context, batch: batches.Batch, covered: list[LineQuantity], correlation_id: str | None = None
) -> None:
    """BatchScheduled for a batch whose stored state the caller holds (one it inserted in this
    transaction, with every line it covers): two reads fewer than `scheduled`."""
    await ctx.emit(
        BatchScheduled(
            batch_id=batch.batch_id,
            batch_no=batch.batch_no,
            sku=batch.sku,
            planned_quantity=batch.planned_quantity,
            unit=batch.unit,
            covers=covered,
            planned_start=batch.planned_start,
            planned_end=batch.planned_end,
            purpose=batch.purpose,
        ),
        correlation_id=correlation_id,
    )


async def cancelled(
    ctx: Context, batch: batches.Batch, covers: list[LineQuantity], reason: str, at: datetime,
    correlation_id: str | None = None, cancelled_orders: list[str] | None = None,
) -> None:
    """BatchCancelled: inventory releases every material of the plan and re-plans `covers`
    unless their order is cancelled too. `cancelled_orders`: the order whose cancellation
    cancelled the batch, so inventory does not plan its lines again while its OrderCancelled
    (another topic) is still on the way."""
    await ctx.emit(
        BatchCancelled(
            batch_id=batch.batch_id, batch_no=batch.batch_no, sku=batch.sku, reason=reason, covers=covers, cancelled_at=at,
            purpose=batch.purpose, cancelled_orders=cancelled_orders or [],
        ),
        correlation_id=correlation_id,
    )
