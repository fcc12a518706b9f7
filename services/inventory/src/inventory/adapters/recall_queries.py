"""Read side of recalls: the list, and one recall with its lots (remaining stock) and customers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.recall_schemas import RecallCustomerOut, RecallLotOut, RecallOut, RecallSummaryOut
from inventory.tables import Item, Lot, Recall, RecallCustomer, RecallLot


async def recalls(session: AsyncSession, status: str | None = None) -> list[RecallSummaryOut]:
    query = select(Recall, Lot).join(Lot, Lot.lot_id == Recall.lot_id).order_by(Recall.opened_at.desc())
    if status:
        query = query.where(Recall.status == status)
    rows = (await session.execute(query)).all()
    ids = [r.recall_id for r, _ in rows]
    lots = (await session.execute(select(RecallLot).where(RecallLot.recall_id.in_(ids)))).scalars().all()
    customers = (await session.execute(select(RecallCustomer).where(RecallCustomer.recall_id.in_(ids)))).scalars().all()
    return [_summary(r, lot, [x for x in lots if x.recall_id == r.recall_id],
                     [c for c in customers if c.recall_id == r.recall_id]) for r, lot in rows]


async def recall(session: AsyncSession, recall_id: str) -> RecallOut | None:
    found = (
        await session.execute(select(Recall, Lot).join(Lot, Lot.lot_id == Recall.lot_id).where(Recall.recall_id == recall_id))
    ).first()
    if found is None:
        return None
    r, lot = found
    lots = (
        await session.execute(
            select(Lot, Item.base_unit).join(RecallLot, RecallLot.lot_id == Lot.lot_id).join(Item, Item.sku == Lot.sku)
            .where(RecallLot.recall_id == recall_id).order_by(Lot.sku, Lot.lot_no)
        )
    ).all()
    customers = (
        await session.execute(
            select(RecallCustomer).where(RecallCustomer.recall_id == recall_id).order_by(RecallCustomer.order_no)
        )
    ).scalars().all()
    summary = _summary(r, lot, [x for x, _ in lots], customers)
    return RecallOut(
        **summary.model_dump(),
        lots=[RecallLotOut(**x.model_dump(include=set(RecallLotOut.model_fields)), unit=unit) for x, unit in lots],
        customers=[
            RecallCustomerOut(
                **c.model_dump(include={"order_id", "order_no", "customer", "state", "updated_at", "goods"}),
                shipment_ids=sorted({g["shipment_id"] for g in c.goods if g.get("shipment_id")}),
                lots=sorted({g["lot_no"] for g in c.goods}),
            )
            for c in customers
        ],
    )


def _summary(r: Recall, lot: Lot, lots: list, customers: list[RecallCustomer]) -> RecallSummaryOut:
    return RecallSummaryOut(
        recall_id=r.recall_id, lot_id=lot.lot_id, lot_no=lot.lot_no, sku=lot.sku, reason=r.reason, status=r.status,
        disposition=r.disposition, opened_at=r.opened_at, closed_at=r.closed_at, lot_count=len(lots),
        customer_count=len(customers), customers_notified=sum(1 for c in customers if c.state == "notified"),
    )
