"""Goods received against a purchase order line (inventory's GoodsReceived: inventory owns
receipts and lots, and has already checked the quantity against the PO's tolerance). The
line's received quantity grows once per lot; the PO becomes partly received or received."""

from __future__ import annotations

from sqlalchemy import text

from contracts import events as ev
from eventkit import Context
from purchasing.domain.status import Status, after_receipt


async def on_goods_received(ctx: Context, event: ev.GoodsReceived) -> None:
    if event.purchase_order_id is None or event.po_line is None:
        return  # a receipt of its own: nothing on order moves
    session = ctx.session
    # The PO row first (the lock order of send and cancel), then its lines.
    po = (await session.execute(
        text("SELECT status FROM purchase_orders WHERE purchase_order_id = :p FOR UPDATE"),
        {"p": event.purchase_order_id})).first()
    first_time = await session.execute(
        text("INSERT INTO receipts (lot_id, lot_no, supplier_lot_no, purchase_order_id, po_line, material_sku, "
             "base_quantity, received_date) VALUES (:lot, :lot_no, :sup, :p, :n, :m, :q, :d) "
             "ON CONFLICT (lot_id) DO NOTHING RETURNING 1"),
        {"lot": event.lot_id, "lot_no": event.lot_no, "sup": event.supplier_lot_no, "p": event.purchase_order_id,
         "n": event.po_line, "m": event.sku, "q": event.base_quantity, "d": event.received_date},
    )
    if first_time.first() is None or po is None:
        return  # the same lot again; or a PO this service never made (kept as a receipt only)
    await session.execute(
        text("UPDATE po_lines SET received = received + :q WHERE purchase_order_id = :p AND line_no = :n"),
        {"q": event.base_quantity, "p": event.purchase_order_id, "n": event.po_line},
    )
    lines = (await session.execute(
        text("SELECT base_quantity, received FROM po_lines WHERE purchase_order_id = :p ORDER BY line_no"),
        {"p": event.purchase_order_id})).all()
    status = after_receipt(Status(po.status), [r.base_quantity for r in lines], [r.received for r in lines])
    if status.value != po.status:
        await session.execute(
            text("UPDATE purchase_orders SET status = :s, updated_at = now(), "
                 "received_at = CASE WHEN :s = 'received' THEN now() ELSE received_at END WHERE purchase_order_id = :p"),
            {"s": status.value, "p": event.purchase_order_id},
        )
