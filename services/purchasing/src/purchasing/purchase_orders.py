"""Purchase orders: drafted (by hand or from suggestions), sent to the supplier (expected
dates fixed: sent date + lead time; PurchaseOrderPlaced through the outbox, which inventory
counts as expected supply and shipping mails to the supplier), cancelled (what is not
received is no longer expected: PurchaseOrderCancelled). Receipts move them on (receiving.py).
A PO row is locked before its lines, everywhere."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import PurchaseOrderCancelled, PurchaseOrderPlaced
from contracts.events.purchasing import PurchaseOrderLine
from contracts.units import Unit
from eventkit import Context
from purchasing import catalog
from purchasing.domain.ordering import expected_date
from purchasing.domain.status import Status, cancel_refusal, send_refusal
from purchasing.errors import Refused
from purchasing.reorder_points import mark_ordered
from purchasing.settings import Settings
from purchasing.suppliers import supplier_terms
from purchasing.schemas import LineOut, PurchaseOrderIn, PurchaseOrderOut, ReceiptOut


def today() -> date:
    """Dates are UTC calendar days, as inventory judges expiry and receipts."""
    return datetime.now(timezone.utc).date()


@dataclass(frozen=True)
class DraftLine:
    material_sku: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None = None


async def create_draft(
    session: AsyncSession, settings: Settings, supplier_id: str, lines: list[DraftLine],
    currency: str | None = None, created_from: str = "manual",
) -> str:
    """A draft PO after every line passed the door: a known, bought material, in a unit of
    its dimension, supplied by this supplier (whose terms give the lead time and price)."""
    found = (await session.execute(text("SELECT 1 FROM suppliers WHERE supplier_id = :id"), {"id": supplier_id})).first()
    if found is None:
        raise Refused(422, f"unknown supplier {supplier_id}")
    known = await catalog.materials(session, [ln.material_sku for ln in lines])
    rows, currencies = [], set()
    for n, line in enumerate(lines, start=1):
        what = f"line {n} ({line.material_sku})"
        material = catalog.bought(known.get(line.material_sku), line.material_sku)
        base = catalog.in_base_unit(material, line.quantity, line.unit, what)
        terms = await supplier_terms(session, supplier_id, line.material_sku)
        if terms is None:
            raise Refused(422, f"{what}: this supplier has no terms for {line.material_sku}: add them first")
        if terms.currency:
            currencies.add(terms.currency)
        price = line.unit_price if line.unit_price is not None else terms.price
        rows.append(dict(n=n, m=line.material_sku, q=line.quantity, u=str(line.unit), bq=base, bu=material.base_unit,
                         price=price, lead=terms.lead_time_days))
    po_id = str(uuid.uuid4())
    seq = (await session.execute(text("SELECT nextval('po_numbers')"))).scalar_one()
    await session.execute(
        text("INSERT INTO purchase_orders (purchase_order_id, po_no, supplier_id, status, currency, receipt_tolerance, "
             "created_from) VALUES (:id, :no, :s, 'draft', :cur, :tol, :src)"),
        {"id": po_id, "no": f"{settings.po_prefix}{seq:06d}", "s": supplier_id,
         "cur": currency or (currencies.pop() if len(currencies) == 1 else settings.default_currency),
         "tol": settings.receipt_tolerance, "src": created_from},
    )
    for r in rows:
        await session.execute(
            text("INSERT INTO po_lines (purchase_order_id, line_no, material_sku, quantity, unit, base_quantity, "
                 "base_unit, unit_price, lead_time_days) VALUES (:id, :n, :m, :q, :u, :bq, :bu, :price, :lead)"),
            {"id": po_id, **r},
        )
    return po_id


async def create(session: AsyncSession, settings: Settings, body: PurchaseOrderIn) -> str:
    lines = [DraftLine(ln.material_sku, ln.quantity, ln.unit.value, ln.unit_price) for ln in body.lines]
    return await create_draft(session, settings, body.supplier_id, lines, body.currency)


async def _lock(session: AsyncSession, po_id: str):
    row = (await session.execute(
        text("SELECT po.*, s.name AS supplier_name, s.email AS supplier_email FROM purchase_orders po "
             "JOIN suppliers s USING (supplier_id) WHERE po.purchase_order_id = :id FOR UPDATE OF po"),
        {"id": po_id})).first()
    if row is None:
        raise Refused(404, f"no purchase order {po_id}")
    return row


async def send(ctx: Context, po_id: str, on: date) -> None:
    """draft -> sent: every line dated (today + the supplier's lead time as it stands now)."""
    session = ctx.session
    po = await _lock(session, po_id)
    refusal = send_refusal(Status(po.status))
    if refusal:
        raise Refused(409, refusal)
    lines = (await session.execute(
        text("SELECT * FROM po_lines WHERE purchase_order_id = :id ORDER BY line_no"), {"id": po_id})).all()
    placed = []
    for line in lines:
        terms = await supplier_terms(session, po.supplier_id, line.material_sku)
        lead = terms.lead_time_days if terms else line.lead_time_days
        due = expected_date(on, lead)
        await session.execute(
            text("UPDATE po_lines SET lead_time_days = :lead, expected_date = :due "
                 "WHERE purchase_order_id = :id AND line_no = :n"),
            {"lead": lead, "due": due, "id": po_id, "n": line.line_no},
        )
        placed.append(PurchaseOrderLine(line_no=line.line_no, material_sku=line.material_sku, quantity=line.quantity,
                                        unit=Unit(line.unit), expected_date=due, unit_price=line.unit_price))
    sent_at = datetime.now(timezone.utc)
    await session.execute(
        text("UPDATE purchase_orders SET status = 'sent', sent_at = :at, updated_at = now() WHERE purchase_order_id = :id"),
        {"at": sent_at, "id": po_id},
    )
    await mark_ordered(session, po_id, [line.material_sku for line in lines])
    await ctx.emit(
        PurchaseOrderPlaced(
            purchase_order_id=po_id, po_no=po.po_no, supplier_id=po.supplier_id, supplier_name=po.supplier_name,
            supplier_email=po.supplier_email, currency=po.currency, lines=placed,
            receipt_tolerance=po.receipt_tolerance, sent_at=sent_at,
        ),
        correlation_id=po_id,
    )


async def cancel(ctx: Context, po_id: str, reason: str) -> None:
    """A draft is simply dropped (nobody outside knew it); a sent PO is announced cancelled."""
    session = ctx.session
    po = await _lock(session, po_id)
    refusal = cancel_refusal(Status(po.status))
    if refusal:
        raise Refused(409, refusal)
    at = datetime.now(timezone.utc)
    await session.execute(
        text("UPDATE purchase_orders SET status = 'cancelled', cancelled_at = :at, cancel_reason = :r, updated_at = now() "
             "WHERE purchase_order_id = :id"),
        {"at": at, "r": reason, "id": po_id},
    )
    if po.status != Status.draft.value:
        await ctx.emit(PurchaseOrderCancelled(purchase_order_id=po_id, po_no=po.po_no, reason=reason, cancelled_at=at),
                       correlation_id=po_id)


_PO = ("SELECT po.*, s.name AS supplier_name, s.email AS supplier_email FROM purchase_orders po "
       "JOIN suppliers s USING (supplier_id) ")


async def _out(session: AsyncSession, pos: list) -> list[PurchaseOrderOut]:
    ids = [p.purchase_order_id for p in pos]
    lines = (await session.execute(
        text("SELECT * FROM po_lines WHERE purchase_order_id = ANY(:ids) ORDER BY line_no"), {"ids": ids})).all()
    receipts = (await session.execute(
        text("SELECT * FROM receipts WHERE purchase_order_id = ANY(:ids) ORDER BY recorded_at, lot_id"),
        {"ids": ids})).all()
    out = []
    for p in pos:
        mine = [ln for ln in lines if ln.purchase_order_id == p.purchase_order_id]
        closed = p.status in (Status.cancelled.value, Status.received.value)
        out.append(PurchaseOrderOut(
            **p._mapping,
            lines=[LineOut(**ln._mapping, open_quantity=Decimal(0) if closed else max(ln.base_quantity - ln.received, Decimal(0)))
                   for ln in mine],
            receipts=[ReceiptOut(**r._mapping) for r in receipts if r.purchase_order_id == p.purchase_order_id],
        ))
    return out


async def purchase_order(session: AsyncSession, po_id: str) -> PurchaseOrderOut:
    rows = (await session.execute(text(_PO + "WHERE po.purchase_order_id = :id"), {"id": po_id})).all()
    if not rows:
        raise Refused(404, f"no purchase order {po_id}")
    return (await _out(session, rows))[0]


async def purchase_orders(session: AsyncSession, status: Status | None, supplier_id: str | None,
                          material_sku: str | None, limit: int) -> list[PurchaseOrderOut]:
    rows = (await session.execute(
        text(_PO + "WHERE (CAST(:st AS text) IS NULL OR po.status = :st) "
             "AND (CAST(:sup AS text) IS NULL OR po.supplier_id = :sup) "
             "AND (CAST(:m AS text) IS NULL OR EXISTS (SELECT 1 FROM po_lines l WHERE l.purchase_order_id = "
             "po.purchase_order_id AND l.material_sku = :m)) ORDER BY po.created_at DESC, po.po_no DESC LIMIT :lim"),
        {"st": status.value if status else None, "sup": supplier_id, "m": material_sku, "lim": limit})).all()
    return await _out(session, rows)
