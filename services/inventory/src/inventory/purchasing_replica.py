"""Open purchase orders as inventory needs them (purchasing owns POs; inventory owns stock,
lots and receipts):

- expected supply: per material, the open quantity of each PO line and its expected date,
  which dates waiting lines (MaterialsShort.expected_date) and quotes instead of the
  supplier's lead time when POs cover what is missing (read by `adapters.expected_supply`,
  judged by `domain.promising.covered_on`);
- the goods receipt against a PO line: refused at the door (422) beyond the line's quantity
  plus the tolerance the PO was sent with, under the line's row lock, so two receipts at
  once cannot both slip through;
- GoodsReceived for every receipt (through the outbox, with the receipt's transaction).

Placement or cancellation of a PO (`handlers.purchase_order_placed` / `_cancelled` keep the
open lines) re-dates the lines waiting for its materials."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import events as ev
from contracts.events.purchasing import receipt_limit
from contracts.units import IncompatibleUnits, Unit
from eventkit import Context
from inventory.clock import today
from inventory.commands import Refused
from inventory.domain.quantities import to_base
from inventory.resumption import resume_for
from inventory.tables import Item, Lot
from inventory.schemas import ReceiptIn


async def redate_waiting(ctx: Context, skus: list[str]) -> None:
    """Lines waiting for these materials are retried: still short, they are told again only
    if their expected date moved (as with a changed supplier lead time)."""
    for sku in sorted(set(skus)):
        await resume_for(ctx, sku, today())


async def check_po_line(session: AsyncSession, body: ReceiptIn, item: Item | None) -> None:
    """Before the lot exists: the PO line is known, open, of this material, and this receipt
    stays within its tolerance. Locks the line until the receipt commits."""
    if body.purchase_order_id is None and body.po_line is None:
        return
    if body.purchase_order_id is None or body.po_line is None:
        raise Refused(422, "a receipt against a purchase order names both purchase_order_id and po_line")
    line = (await session.execute(
        text("SELECT * FROM po_lines WHERE purchase_order_id = :p AND line_no = :n FOR UPDATE"),
        {"p": body.purchase_order_id, "n": body.po_line})).first()
    where = f"purchase order {body.purchase_order_id} line {body.po_line}"
    if line is None:
        raise Refused(422, f"{where} is not known here: not sent yet, or sent a moment ago (try again in a second)")
    if line.status == "cancelled":
        raise Refused(409, f"{where} is cancelled: receive the goods without the purchase order, or not at all")
    if line.sku != body.sku:
        raise Refused(422, f"{where} is for {line.sku}, not {body.sku}")
    if item is None:
        return  # receive() refuses the unknown item with its own words
    try:
        quantity = to_base(body.quantity, body.unit, line.unit)
    except IncompatibleUnits:
        return  # receive() refuses the unit with its own words
    limit = receipt_limit(line.quantity, line.receipt_tolerance)
    if line.received + quantity > limit:
        raise Refused(
            422,
            f"{where} ({line.po_no}): ordered {_q(line.quantity)} {line.unit}, received {_q(line.received)}; "
            f"{_q(quantity)} more is beyond the tolerance of {_q(line.receipt_tolerance * 100)} % "
            f"(at most {_q(max(limit - line.received, Decimal(0)))} {line.unit} more)",
        )


async def record_receipt(ctx: Context, body: ReceiptIn, lot: Lot, item: Item) -> None:
    """After the lot exists: the PO line's received quantity grows, and GoodsReceived goes
    out with the receipt's transaction."""
    base = to_base(body.quantity, body.unit, item.base_unit)
    if body.purchase_order_id is not None:
        await ctx.session.execute(
            text("UPDATE po_lines SET received = received + :q WHERE purchase_order_id = :p AND line_no = :n"),
            {"q": base, "p": body.purchase_order_id, "n": body.po_line})
    await ctx.emit(ev.GoodsReceived(
        lot_id=lot.lot_id, lot_no=lot.lot_no, supplier_lot_no=lot.supplier_lot_no, sku=lot.sku,
        quantity=body.quantity, unit=body.unit, base_quantity=base, base_unit=Unit(item.base_unit),
        received_date=lot.received_date, expiry_date=lot.expiry_date,
        purchase_order_id=body.purchase_order_id, po_line=body.po_line,
    ))


def _q(quantity: Decimal) -> str:
    return format(Decimal(quantity).normalize(), "f")
