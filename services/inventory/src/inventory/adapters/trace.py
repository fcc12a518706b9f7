"""Traceability from the ledger: which batches consumed a lot, which lot a batch made, which
orders got a lot. Forward (lot -> batches -> finished lots -> orders/customers) for a
recall; backward (order -> lots -> batch -> ingredient lots -> supplier lots)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import func, select, text
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


# Every lot reachable from one lot through the batches that consumed it, MAX_DEPTH levels
# deep: one statement instead of a round trip per lot and batch (a drum of oil that went into
# fifty batches is a few hundred lots and order lines). Consumption movements are found by
# stock_movements_lot, the lots a batch made by lots' unique batch_id.
_REACHABLE = text("""
    WITH RECURSIVE reach(lot_id, depth) AS (
        SELECT CAST(:lot_id AS text), 0
        UNION
        SELECT made.lot_id, reach.depth + 1
        FROM reach
        JOIN stock_movements used ON used.lot_id = reach.lot_id AND used.kind = 'consumption'
        JOIN lots made ON made.batch_id = used.batch_id
        WHERE reach.depth < :max_depth
    )
    SELECT lot_id, MIN(depth) FROM reach GROUP BY lot_id
""")


async def reachable(session: AsyncSession, lot_id: str) -> dict[str, int]:
    """Lot id -> the fewest batches between it and `lot_id` (itself: 0)."""
    rows = await session.execute(_REACHABLE, {"lot_id": lot_id, "max_depth": MAX_DEPTH})
    return {lot: depth for lot, depth in rows}


async def forward(session: AsyncSession, lot_id: str) -> ForwardTrace | None:
    """The lot, the batches that consumed it, the lots they made (and so on, MAX_DEPTH levels),
    and the orders that got each lot: read set-wise (a handful of statements whatever the
    trace's size), then put together as a tree."""
    ids = list(await reachable(session, lot_id))
    lots = {lot.lot_id: lot for lot in (await session.execute(select(Lot).where(Lot.lot_id.in_(ids)))).scalars()}
    if lot_id not in lots:
        return None
    used: dict[str, list[tuple[str, Decimal, str | None]]] = {}
    for lot, batch_id, consumed, batch_no in await session.execute(
        select(StockMovement.lot_id, StockMovement.batch_id, func.sum(-StockMovement.quantity), CompletedBatch.batch_no)
        .outerjoin(CompletedBatch, CompletedBatch.batch_id == StockMovement.batch_id)
        .where(StockMovement.lot_id.in_(ids), StockMovement.kind == "consumption")
        .group_by(StockMovement.lot_id, StockMovement.batch_id, CompletedBatch.batch_no)
        .order_by(StockMovement.lot_id, StockMovement.batch_id)
    ):
        used.setdefault(lot, []).append((batch_id, consumed, batch_no))
    made: dict[str, list[str]] = {}
    for lot in sorted(lots.values(), key=lambda x: x.lot_id):
        if lot.batch_id is not None:
            made.setdefault(lot.batch_id, []).append(lot.lot_id)
    plans: dict[str, list[str]] = {}
    for lot, plan_id in await session.execute(
        select(Reservation.lot_id, Reservation.plan_id).where(Reservation.lot_id.in_(ids), Reservation.status == "open")
    ):
        plans.setdefault(lot, []).append(plan_id)
    orders = await _orders_of(session, ids)

    def tree(lot: Lot, depth: int) -> ForwardTrace:
        # The same shape as walking lot by lot: a lot reached twice (two of its ingredients'
        # batches) appears under each; the walk stops MAX_DEPTH levels down.
        batches = [
            BatchUse(batch_id=batch_id, batch_no=batch_no, consumed=consumed,
                     finished_lots=[tree(lots[m], depth + 1) for m in made.get(batch_id, []) if m in lots]
                     if depth < MAX_DEPTH else [])
            for batch_id, consumed, batch_no in used.get(lot.lot_id, [])
        ]
        return ForwardTrace(lot=_ref(lot), consumed_by=batches, reserved_by_plans=sorted(plans.get(lot.lot_id, [])),
                            orders=orders.get(lot.lot_id, []))

    return tree(lots[lot_id], 0)


async def _orders_of(session: AsyncSession, lot_ids: list[str]) -> dict[str, list[OrderUse]]:
    rows = (
        await session.execute(
            select(Allocation, OrderDemand).join(OrderDemand, OrderDemand.order_id == Allocation.order_id)
            .where(Allocation.lot_id.in_(lot_ids)).order_by(Allocation.created_at, Allocation.allocation_id)
        )
    ).all()
    uses: dict[str, list[OrderUse]] = {}
    for a, o in rows:
        uses.setdefault(a.lot_id, []).append(
            OrderUse(order_id=a.order_id, order_no=o.order_no, customer=o.customer, line_no=a.line_no,
                     allocation_id=a.allocation_id, quantity=a.quantity, shipped=a.shipped, status=a.status,
                     shipment_id=a.shipment_id)
        )
    return uses


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
