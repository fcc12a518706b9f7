"""PurchaseOrderCancelled: remembered (a PurchaseOrderPlaced arriving later opens nothing),
its open lines cancelled - no longer expected supply, receipts against them refused - and the
lines waiting for its materials re-dated."""

from __future__ import annotations

from sqlalchemy import text

from contracts import events as ev
from eventkit import Context
from inventory.purchasing_replica import redate_waiting


async def on_purchase_order_cancelled(ctx: Context, event: ev.PurchaseOrderCancelled) -> None:
    await ctx.session.execute(
        text("INSERT INTO cancelled_purchase_orders (purchase_order_id, cancelled_at) VALUES (:p, :at) "
             "ON CONFLICT DO NOTHING"), {"p": event.purchase_order_id, "at": event.cancelled_at})
    closed = await ctx.session.execute(
        text("UPDATE po_lines SET status = 'cancelled' WHERE purchase_order_id = :p AND status = 'open' RETURNING sku"),
        {"p": event.purchase_order_id})
    await redate_waiting(ctx, closed.scalars().all())
