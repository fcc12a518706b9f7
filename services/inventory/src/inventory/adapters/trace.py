"""Traceability from the ledger: which batches consumed a lot, which lot a batch made, which
orders got a lot. Forward (lot -> batches -> finished lots -> orders/customers) for a
recall; backward (order -> lots -> batch -> ingredient lots -> supplier lots)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.tables import Allocation, CompletedBatch, Lot, OrderDemand, Reservation, StockMovement

MAX_DEPTH = 6  # finished goods used as ingredients of other products, a few levels deep


class LotRef(BaseModel):
    lot_id: str
    sku: str
    lot_no: str
    supplier_lot_no: str | None
    source: str
    expiry_date: date | None


class OrderUse(BaseModel):
    order_id: str
    order_no: str
    customer: str
    line_no: int
    allocation_id: str
    quantity: Decimal
    shipped: Decimal
    status: str
    shipment_id: str | None


class BatchUse(BaseModel):
    batch_id: str
    batch_no: str | None
    consumed: Decimal
    finished_lots: list["ForwardTrace"]


class ForwardTrace(BaseModel):
    lot: LotRef
    consumed_by: list[BatchUse]
    # Plans that reserved this lot but have not used it yet (a recall should stop them).
    reserved_by_plans: list[str]
    orders: list[OrderUse]


class Ingredient(BaseModel):
    quantity: Decimal
    lot: "BackwardTrace"


class BatchMade(BaseModel):
    batch_id: str
    batch_no: str
    completed_at: datetime | None
    ingredients: list[Ingredient]


class BackwardTrace(BaseModel):
    lot: LotRef
    batch: BatchMade | None


class OrderLot(BaseModel):
    line_no: int
    allocation_id: str
    quantity: Decimal
    shipped: Decimal
    status: str
    shipment_id: str | None
    lot: BackwardTrace


class OrderTrace(BaseModel):
    order_id: str
    order_no: str
    customer: str
    lots: list[OrderLot]


def _ref(lot: Lot) -> LotRef:
    return LotRef(**lot.model_dump(include=set(LotRef.model_fields)))


async def forward(session: AsyncSession, lot_id: str, depth: int = 0) -> ForwardTrace | None:
    lot = await session.get(Lot, lot_id)
    if lot is None:
        return None
    used = (
        await session.execute(
            select(StockMovement.batch_id, func.sum(-StockMovement.quantity), CompletedBatch.batch_no)
            .outerjoin(CompletedBatch, CompletedBatch.batch_id == StockMovement.batch_id)
            .where(StockMovement.lot_id == lot_id, StockMovement.kind == "consumption")
            .group_by(StockMovement.batch_id, CompletedBatch.batch_no)
            .order_by(StockMovement.batch_id)
        )
    ).all()
    batches = []
    for batch_id, consumed, batch_no in used:
        made = (await session.execute(select(Lot.lot_id).where(Lot.batch_id == batch_id))).scalars().all()
        finished = [await forward(session, m, depth + 1) for m in made] if depth < MAX_DEPTH else []
        batches.append(BatchUse(batch_id=batch_id, batch_no=batch_no, consumed=consumed, finished_lots=[f for f in finished if f]))
    plans = (
        await session.execute(
            select(Reservation.plan_id).where(Reservation.lot_id == lot_id, Reservation.status == "open")
        )
    ).scalars().all()
    return ForwardTrace(lot=_ref(lot), consumed_by=batches, reserved_by_plans=sorted(plans), orders=await _orders_of(session, lot_id))


async def _orders_of(session: AsyncSession, lot_id: str) -> list[OrderUse]:
    rows = (
        await session.execute(
            select(Allocation, OrderDemand).join(OrderDemand, OrderDemand.order_id == Allocation.order_id)
            .where(Allocation.lot_id == lot_id).order_by(Allocation.created_at)
        )
    ).all()
    return [
        OrderUse(order_id=a.order_id, order_no=o.order_no, customer=o.customer, line_no=a.line_no,
                 allocation_id=a.allocation_id, quantity=a.quantity, shipped=a.shipped, status=a.status,
                 shipment_id=a.shipment_id)
        for a, o in rows
    ]


async def backward_lot(session: AsyncSession, lot: Lot, depth: int = 0) -> BackwardTrace:
    batch = None
    if lot.batch_id is not None:
        done = await session.get(CompletedBatch, lot.batch_id)
        used = (
            await session.execute(
                select(StockMovement.lot_id, func.sum(-StockMovement.quantity))
                .where(StockMovement.batch_id == lot.batch_id, StockMovement.kind == "consumption")
                .group_by(StockMovement.lot_id).order_by(StockMovement.lot_id)
            )
        ).all()
        ingredients = []
        for ingredient_lot_id, quantity in used if depth < MAX_DEPTH else []:
            ingredient = await session.get(Lot, ingredient_lot_id)
            ingredients.append(Ingredient(quantity=quantity, lot=await backward_lot(session, ingredient, depth + 1)))
        batch = BatchMade(
            batch_id=lot.batch_id, batch_no=done.batch_no if done else lot.lot_no,
            completed_at=done.completed_at if done else None, ingredients=ingredients,
        )
    return BackwardTrace(lot=_ref(lot), batch=batch)


async def backward(session: AsyncSession, order_id: str) -> OrderTrace | None:
    order = await session.get(OrderDemand, order_id)
    if order is None:
        return None
    rows = (
        await session.execute(
            select(Allocation, Lot).join(Lot, Lot.lot_id == Allocation.lot_id)
            .where(Allocation.order_id == order_id).order_by(Allocation.line_no, Allocation.created_at)
        )
    ).all()
    lots = [
        OrderLot(line_no=a.line_no, allocation_id=a.allocation_id, quantity=a.quantity, shipped=a.shipped,
                 status=a.status, shipment_id=a.shipment_id, lot=await backward_lot(session, lot))
        for a, lot in rows
    ]
    return OrderTrace(order_id=order.order_id, order_no=order.order_no, customer=order.customer, lots=lots)
