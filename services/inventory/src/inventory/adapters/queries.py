"""Read side of the HTTP API: stock, lots, ledger, an order's allocations, shortages, plans."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.domain.allocation import outstanding
from inventory.domain.fefo import is_expired
from inventory.tables import Allocation, DemandLine, Item, LineShortage, Lot, OrderDemand, Plan, Promise, StockMovement
from inventory.schemas import (
    AllocationOut, LineOut, LotOut, MaterialShortageOut, MovementOut, OrderAllocationsOut, PlanOut, PromiseOut,
    ShortageOut, ShortOrder, StockOut,
)

ZERO = Decimal(0)

_STOCK = text("""
    SELECT i.sku, i.name, i.kind, i.base_unit,
           COALESCE(SUM(l.on_hand), 0) AS on_hand,
           COALESCE(SUM(l.reserved), 0) AS reserved,
           COALESCE(SUM(l.allocated), 0) AS allocated,
           COALESCE(SUM(l.on_hand - l.reserved - l.allocated)
                    FILTER (WHERE (l.expiry_date IS NULL OR l.expiry_date > :today) AND NOT l.on_hold), 0) AS available,
           COALESCE(SUM(l.on_hand - l.reserved - l.allocated) FILTER (WHERE l.expiry_date <= :today), 0) AS expired,
           COALESCE(SUM(l.on_hand) FILTER (WHERE l.on_hold), 0) AS on_hold,
           COALESCE(jsonb_agg(jsonb_build_object('lot_id', l.lot_id, 'lot_no', l.lot_no, 'reason', l.hold_reason,
                                                 'recall_id', l.hold_recall_id, 'on_hand', l.on_hand))
                    FILTER (WHERE l.on_hold), '[]'::jsonb) AS holds
    FROM items i LEFT JOIN lots l ON l.sku = i.sku
    WHERE (CAST(:sku AS TEXT) IS NULL OR i.sku = :sku)
    GROUP BY i.sku ORDER BY i.sku
""")


async def stock(session: AsyncSession, today: date, sku: str | None = None) -> list[StockOut]:
    rows = await session.execute(_STOCK, {"today": today, "sku": sku})
    return [StockOut(**row._mapping) for row in rows]


def lot_out(lot: Lot, unit: str, today: date) -> LotOut:
    return LotOut(
        # A held lot gives nothing: its free stock is not available.
        **lot.model_dump(include=set(LotOut.model_fields)), available=ZERO if lot.on_hold else lot.free,
        expired=is_expired(lot.expiry_date, today), unit=unit,
    )


async def lots(session: AsyncSession, today: date, sku: str | None = None, lot_id: str | None = None,
               lot_no: str | None = None, on_hold: bool | None = None) -> list[LotOut]:
    query = select(Lot, Item.base_unit).join(Item, Item.sku == Lot.sku)
    if sku:
        query = query.where(Lot.sku == sku)
    if lot_no:
        # The number printed on the label: ours, or the supplier's for a bought lot.
        query = query.where((Lot.lot_no == lot_no) | (Lot.supplier_lot_no == lot_no))
    if lot_id:
        query = query.where(Lot.lot_id == lot_id)
    if on_hold is not None:
        query = query.where(Lot.on_hold.is_(on_hold))
    query = query.order_by(Lot.sku, Lot.expiry_date.asc().nulls_last(), Lot.received_date, Lot.lot_no)
    return [lot_out(lot, unit, today) for lot, unit in (await session.execute(query)).all()]


async def ledger(session: AsyncSession, lot_id: str | None, sku: str | None, limit: int) -> list[MovementOut]:
    query = select(StockMovement, Lot.lot_no).join(Lot, Lot.lot_id == StockMovement.lot_id)
    if lot_id:
        query = query.where(StockMovement.lot_id == lot_id)
    if sku:
        query = query.where(StockMovement.sku == sku)
    rows = (await session.execute(query.order_by(StockMovement.movement_id).limit(limit))).all()
    return [MovementOut(**m.model_dump(), lot_no=lot_no) for m, lot_no in rows]


async def order_allocations(session: AsyncSession, order_id: str) -> OrderAllocationsOut | None:
    order = await session.get(OrderDemand, order_id)
    if order is None:
        return None
    lines = (await session.execute(select(DemandLine).where(DemandLine.order_id == order_id))).scalars().all()
    rows = (
        await session.execute(
            select(Allocation, Lot).join(Lot, Lot.lot_id == Allocation.lot_id)
            .where(Allocation.order_id == order_id).order_by(Allocation.line_no, Allocation.created_at)
        )
    ).all()
    promises = (await session.execute(select(Promise).where(Promise.order_id == order_id))).scalars().all()
    shortages = (await session.execute(select(LineShortage).where(LineShortage.order_id == order_id))).scalars().all()
    out_lines = []
    for line in sorted(lines, key=lambda ln: ln.line_no):
        mine = [a for a, _ in rows if a.line_no == line.line_no]
        allocated = sum((a.kept_quantity for a in mine), ZERO)
        out_lines.append(
            LineOut(
                line_no=line.line_no, sku=line.sku, quantity=line.quantity, unit=line.unit, allocated=allocated,
                shipped=sum((a.shipped for a in mine), ZERO),
                promised=sum((p.open_quantity for p in promises if p.line_no == line.line_no), ZERO), status=line.status,
                waiting=line.waiting, outstanding=outstanding(line.quantity, allocated), reason=line.reason,
                shortages=[ShortageOut(**s.model_dump()) for s in shortages if s.line_no == line.line_no],
            )
        )
    allocations = [
        AllocationOut(**a.model_dump(), lot_no=lot.lot_no, expiry_date=lot.expiry_date) for a, lot in rows
    ]
    return OrderAllocationsOut(
        order_id=order_id, order_no=order.order_no, lines=out_lines, allocations=allocations,
        fully_allocated=all(line.outstanding == 0 for line in out_lines), cancelled_at=order.cancelled_at,
        backordered=order.backordered,
    )


async def shortages(session: AsyncSession, today: date) -> list[MaterialShortageOut]:
    """Open shortages per material: lines still waiting for it, and what to buy given the
    stock usable now (several waiting lines may count on the same stock)."""
    rows = (
        await session.execute(
            select(LineShortage, DemandLine, OrderDemand.order_no)
            .join(DemandLine, (DemandLine.order_id == LineShortage.order_id) & (DemandLine.line_no == LineShortage.line_no))
            .join(OrderDemand, OrderDemand.order_id == LineShortage.order_id)
            .where(DemandLine.waiting > 0)
            .order_by(LineShortage.material_sku, OrderDemand.placed_at, LineShortage.order_id, LineShortage.line_no)
        )
    ).all()
    by_material: dict[str, list] = {}
    for shortage, line, order_no in rows:
        by_material.setdefault(shortage.material_sku, []).append((shortage, line, order_no))
    stock_now = {s.sku: s.available for s in await stock(session, today)}
    items = {
        i.sku: i for i in (await session.execute(select(Item).where(Item.sku.in_(list(by_material))))).scalars()
    }
    out = []
    for material, entries in by_material.items():
        required = sum((s.required for s, _, _ in entries), ZERO)
        available = stock_now.get(material, ZERO)
        item = items.get(material)
        out.append(
            MaterialShortageOut(
                material_sku=material, unit=entries[0][0].unit, required=required, available=available,
                missing=max(required - available, ZERO),
                supplier_lead_time_days=item.supplier_lead_time_days if item else None,
                orders=[
                    ShortOrder(order_id=s.order_id, order_no=order_no, line_no=s.line_no, sku=line.sku,
                               required=s.required, missing=s.missing)
                    for s, line, order_no in entries
                ],
            )
        )
    return out


async def plans(session: AsyncSession, status: str | None = None) -> list[PlanOut]:
    query = select(Plan).order_by(Plan.created_at)
    if status:
        query = query.where(Plan.status == status)
    found = (await session.execute(query)).scalars().all()
    promises = (
        await session.execute(select(Promise).where(Promise.plan_id.in_([p.plan_id for p in found])))
    ).scalars().all()
    return [
        PlanOut(
            **p.model_dump(), surplus=p.batch_quantity - p.promised,
            promises=[PromiseOut(**x.model_dump()) for x in promises if x.plan_id == p.plan_id],
        )
        for p in found
    ]
