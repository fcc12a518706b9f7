"""Expected supply from open purchase orders (the `po_lines` replica kept by
`purchasing_replica`): read where waiting lines and quotes are dated. Read-only, lock-free."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def expected_receipts(session: AsyncSession, skus: list[str]) -> dict[str, list[tuple[date, Decimal]]]:
    """Open quantity and expected date of every open PO line of these materials."""
    rows = await session.execute(
        text("SELECT sku, expected_date, quantity - received AS open FROM po_lines "
             "WHERE status = 'open' AND sku = ANY(:s) AND quantity > received"), {"s": sorted(set(skus))})
    out: dict[str, list[tuple[date, Decimal]]] = {}
    for sku, due, open_quantity in rows:
        out.setdefault(sku, []).append((due, open_quantity))
    return out


async def open_lines(session: AsyncSession, sku: str | None) -> list[dict]:
    rows = await session.execute(
        text("SELECT purchase_order_id, po_no, line_no, sku, quantity, received, quantity - received AS open_quantity, "
             "unit, receipt_tolerance, expected_date FROM po_lines WHERE status = 'open' "
             "AND (CAST(:s AS text) IS NULL OR sku = :s) ORDER BY expected_date, po_no, line_no"), {"s": sku})
    return [dict(r._mapping) for r in rows]
