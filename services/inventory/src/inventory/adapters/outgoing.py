"""Building the cumulative OrderAllocated of an order from what the database holds now."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import OrderAllocated
from contracts.events.inventory import Allocation as AllocationOut
from contracts.events.inventory import LineOutstanding
from eventkit import Context
from inventory.domain.allocation import outstanding
from inventory.tables import Allocation, DemandLine, Lot, OrderDemand

ZERO = Decimal(0)


# Lines, their allocations with the lots, and the order's backordered flag in one statement
# (a line without allocations comes once, with none); built once.
_ORDER_LINES = (
    select(DemandLine, Allocation, Lot, OrderDemand.backordered)
    .outerjoin(OrderDemand, OrderDemand.order_id == DemandLine.order_id)
    .outerjoin(Allocation, and_(Allocation.order_id == DemandLine.order_id, Allocation.line_no == DemandLine.line_no))
    .outerjoin(Lot, Lot.lot_id == Allocation.lot_id)
    .where(DemandLine.order_id == bindparam("order_id"))
    .order_by(DemandLine.line_no, Allocation.created_at, Allocation.allocation_id)
)


async def order_allocated(session: AsyncSession, order_id: str) -> OrderAllocated:
    """Every open (not yet shipped, not released) allocation of the order, and per line what
    is still missing: ordered minus everything allocated so far, shipped included.
    `backordered` once a yield shortfall split the order (see completion)."""
    rows = (await session.execute(_ORDER_LINES, {"order_id": order_id})).all()
    lines = list({line.line_no: line for line, _, _, _ in rows}.values())
    backordered = bool(rows) and bool(rows[0][3])
    return _cumulative(order_id, lines, [(a, lot) for _, a, lot, _ in rows if a is not None], backordered)


def new_order_allocated(order_id: str, lines: Iterable[DemandLine], made: Iterable[tuple[Allocation, Lot]]) -> OrderAllocated:
    """The same event for an order placed in this transaction, from what the transaction
    holds: its lines and the allocations it just made are all the order has (a new order is
    never backordered). One statement fewer than reading them back."""
    return _cumulative(order_id, sorted(lines, key=lambda line: line.line_no),
                       sorted(made, key=lambda pair: pair[0].line_no), backordered=False)


def _cumulative(order_id: str, lines: list[DemandLine], allocations: list[tuple[Allocation, Lot]],
                backordered: bool) -> OrderAllocated:
    units = {line.line_no: line.unit for line in lines}
    allocated: dict[int, Decimal] = {}
    out: list[AllocationOut] = []
    for allocation, lot in allocations:
        allocated[allocation.line_no] = allocated.get(allocation.line_no, ZERO) + allocation.kept_quantity
        if allocation.open_quantity > 0:
            out.append(
                AllocationOut(
                    allocation_id=allocation.allocation_id, line_no=allocation.line_no, sku=allocation.sku,
                    lot_id=lot.lot_id, lot_no=lot.lot_no, quantity=allocation.open_quantity,
                    unit=units[allocation.line_no], expiry_date=lot.expiry_date,
                )
            )
    missing = [
        LineOutstanding(line_no=line.line_no, sku=line.sku, quantity=left, unit=line.unit)
        for line in lines
        if (left := outstanding(line.quantity, allocated.get(line.line_no, ZERO))) > 0
    ]
    return OrderAllocated(
        order_id=order_id, allocations=out, outstanding=missing, fully_allocated=not missing,
        backordered=backordered and bool(missing),
    )


async def emit_allocated(ctx: Context, order_ids: Iterable[str]) -> None:
    """One cumulative OrderAllocated per order (each once, in the given order)."""
    seen: set[str] = set()
    for order_id in order_ids:
        if order_id not in seen:
            seen.add(order_id)
            await ctx.emit(await order_allocated(ctx.session, order_id), correlation_id=order_id)
