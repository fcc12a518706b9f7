"""Purchase suggestions: per material, what the lines waiting for it require (and what
reorder points want: reorder_points.py), net of the
usable stock inventory last reported and of every open PO (drafts included, so a second
click adds nothing), rounded up to whole packs and the minimum of the preferred supplier
(the quickest one when none is preferred). One click turns them into draft POs, one per
supplier."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from purchasing.domain.ordering import chosen_supplier, expected_date, order_quantity, still_to_buy
from purchasing.purchase_orders import DraftLine, create_draft
from purchasing.reorder_points import open_requests
from purchasing.settings import Settings
from purchasing.suppliers import terms_of
from purchasing.schemas import SuggestionOut, WaitingLine

ZERO = Decimal(0)

_WAITING = text(
    "SELECT lr.material_sku, lr.unit, lr.order_id, lr.line_no, lr.required FROM line_requirements lr "
    "JOIN waiting_lines w USING (order_id, line_no) WHERE w.waiting ORDER BY lr.material_sku, w.fact_at, lr.order_id"
)
_OPEN = text(
    "SELECT l.material_sku, "
    "COALESCE(SUM(GREATEST(l.base_quantity - l.received, 0)) FILTER (WHERE po.status <> 'draft'), 0) AS on_order, "
    "COALESCE(SUM(l.base_quantity) FILTER (WHERE po.status = 'draft'), 0) AS in_draft "
    "FROM po_lines l JOIN purchase_orders po USING (purchase_order_id) "
    "WHERE po.status IN ('draft', 'sent', 'partly_received') AND l.material_sku = ANY(:m) GROUP BY l.material_sku"
)


async def suggestions(session: AsyncSession, on: date) -> list[SuggestionOut]:
    waiting: dict[str, list] = defaultdict(list)
    for r in (await session.execute(_WAITING)).all():
        waiting[r.material_sku].append(r)
    reorders = await open_requests(session)
    materials = sorted(set(waiting) | set(reorders))
    stock = {r.material_sku: r.available for r in await session.execute(
        text("SELECT material_sku, available FROM material_stock WHERE material_sku = ANY(:m)"), {"m": materials})}
    open_pos = {r.material_sku: r for r in await session.execute(_OPEN, {"m": materials})}
    terms = await terms_of(session, materials)
    names = dict((await session.execute(text("SELECT supplier_id, name FROM suppliers"))).all())
    out = []
    for sku in materials:
        lines = waiting.get(sku, [])
        requests = reorders.get(sku, [])
        required = sum((r.required for r in lines), ZERO)
        wanted = sum((r.wanted for r in requests), ZERO)
        available = stock.get(sku, ZERO)
        on_order = open_pos[sku].on_order if sku in open_pos else ZERO
        in_draft = open_pos[sku].in_draft if sku in open_pos else ZERO
        missing = still_to_buy(required + wanted, available, on_order + in_draft)
        if missing <= 0:
            continue
        chosen = chosen_supplier(terms.get(sku, []))
        out.append(SuggestionOut(
            material_sku=sku, unit=(lines or requests)[0].unit, required=required, available=available, on_order=on_order,
            in_draft=in_draft, missing=missing, quantity=order_quantity(missing, chosen) if chosen else ZERO,
            supplier_id=chosen.supplier_id if chosen else None,
            supplier_name=names.get(chosen.supplier_id) if chosen else None,
            pack_size=chosen.pack_size if chosen else None,
            min_order_quantity=chosen.min_order_quantity if chosen else None,
            lead_time_days=chosen.lead_time_days if chosen else None,
            expected_date=expected_date(on, chosen.lead_time_days) if chosen else None,
            price=chosen.price if chosen else None, currency=chosen.currency if chosen else None,
            reason="" if chosen else f"no supplier has terms for {sku}",
            waiting=[WaitingLine(order_id=r.order_id, line_no=r.line_no, required=r.required) for r in lines],
            reorder_wanted=wanted, because=_because(lines, requests),
        ))
    return out


def _because(lines: list, requests: list) -> list[str]:
    out = ["waiting orders"] if lines else []
    for r in requests:
        why = "reorder point" if r.kind == "material" else f"batch for stock of {r.for_sku}"
        if why not in out:
            out.append(why)
    return out


async def draft_from_suggestions(
    session: AsyncSession, settings: Settings, on: date, materials: list[str] | None
) -> tuple[list[str], list[dict]]:
    """Draft POs (one per supplier) for the suggestions of `materials` (all if None).
    Returns the new PO ids and what was skipped, with the reason. Serialized: two clicks at
    once would otherwise both see nothing in draft and order twice."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('purchasing.from-suggestions'))"))
    found = {s.material_sku: s for s in await suggestions(session, on)}
    wanted = sorted(found) if materials is None else list(dict.fromkeys(materials))
    by_supplier: dict[str, list[DraftLine]] = defaultdict(list)
    skipped = []
    for sku in wanted:
        s = found.get(sku)
        if s is None:
            skipped.append({"material_sku": sku, "reason": "nothing to buy: no waiting demand beyond stock and open POs"})
        elif s.supplier_id is None:
            skipped.append({"material_sku": sku, "reason": s.reason})
        else:
            by_supplier[s.supplier_id].append(DraftLine(sku, s.quantity, s.unit))
    created = [
        await create_draft(session, settings, supplier_id, lines, created_from="suggestion")
        for supplier_id, lines in sorted(by_supplier.items())
    ]
    return created, skipped
