"""PurchaseOrderPlaced: the PO's lines kept as open lines (quantity in the item's base unit,
expected date, receipt tolerance) - expected supply that dates waiting lines and quotes, and
what a receipt is checked against. Lines waiting for its materials are retried and re-dated.
The same PO again changes nothing; a PO cancelled first is never opened."""

from __future__ import annotations

from sqlalchemy import text

from contracts import events as ev
from contracts.units import IncompatibleUnits
from eventkit import Context
from inventory.domain.quantities import to_base
from inventory.purchasing_replica import redate_waiting
from inventory.tables import Item


async def on_purchase_order_placed(ctx: Context, event: ev.PurchaseOrderPlaced) -> None:
    session = ctx.session
    gone = await session.execute(text("SELECT 1 FROM cancelled_purchase_orders WHERE purchase_order_id = :p"),
                                 {"p": event.purchase_order_id})
    if gone.first():
        return
    opened = []
    for line in event.lines:
        item = await session.get(Item, line.material_sku)
        quantity, unit = line.quantity, line.unit.value
        if item is not None:
            try:
                quantity, unit = to_base(line.quantity, line.unit, item.base_unit), item.base_unit
            except IncompatibleUnits:
                pass  # purchasing checks units against our catalog; kept as sent if it ever differs
        new = await session.execute(
            text("INSERT INTO po_lines (purchase_order_id, line_no, po_no, sku, quantity, unit, receipt_tolerance, "
                 "expected_date) VALUES (:p, :n, :no, :sku, :q, :u, :tol, :due) ON CONFLICT DO NOTHING RETURNING sku"),
            {"p": event.purchase_order_id, "n": line.line_no, "no": event.po_no, "sku": line.material_sku,
             "q": quantity, "u": unit, "tol": event.receipt_tolerance, "due": line.expected_date},
        )
        opened += new.scalars().all()
    await redate_waiting(ctx, opened)
