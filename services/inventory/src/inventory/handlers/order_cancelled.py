"""OrderCancelled: give back what was set aside for the order — its open finished-goods
allocations go back to stock, its promises against plans are dropped (the plan's surplus
grows back), its lines stop waiting — and tell it with StockReleased. Material reservations
stay with their plan: production decides the batch's fate (BatchCancelled / a shrunk
BatchScheduled); a shrink the order's promises had held back is applied now.
What was released is offered at once to the orders waiting for it (priority, then age)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import OrderCancelled, StockReleased
from contracts.events.inventory import Allocation as AllocationOut
from contracts.events.inventory import PromiseReleased
from eventkit import Context, serialized_by
from inventory.adapters.outgoing import emit_allocated
from inventory.adapters.stock import lock_lots, lock_plans, open_reservations, order_lock, release_allocation
from inventory.clock import today
from inventory.shrinking import fit_plan
from inventory.replenishment import replenish
from inventory.resumption import prepare, resume
from inventory.tables import Allocation, CancelledOrder, DemandLine, OrderDemand, Plan, Promise
from inventory.waiting import stop_waiting


@serialized_by(lambda event: order_lock(event.order_id))
async def on_order_cancelled(ctx: Context, event: OrderCancelled) -> None:
    await cancel_order(ctx, event, today())


async def cancel_order(ctx: Context, event: OrderCancelled, today: date) -> None:
    session = ctx.session
    await ctx.lock(order_lock(event.order_id))
    recorded = await session.execute(
        insert(CancelledOrder)
        .values(order_id=event.order_id, reason=event.reason, cancelled_at=event.cancelled_at)
        .on_conflict_do_nothing()
        .returning(CancelledOrder.order_id)
    )
    if recorded.first() is None:
        return  # cancelled before: nothing left to release
    order = await session.get(OrderDemand, event.order_id, populate_existing=True)
    if order is None:
        return  # not placed here yet: remembered, its OrderPlaced will set nothing aside
    order.cancelled_at = event.cancelled_at
    lines = (
        await session.execute(select(DemandLine).where(DemandLine.order_id == event.order_id).order_by(DemandLine.line_no))
    ).scalars().all()
    # Items first (SKU order), then allocations, plans and lots: the order every stock change
    # uses. What the order holds is read once unlocked, only to know which items to lock
    # with it (released stock, regained plan surplus and material a shrink may free wake the
    # lines waiting for them), and again under the locks: whoever sets goods aside for the
    # order holds the item of its line, so a batch completing meanwhile (allocating its
    # output to the order's promise) or a resumption (giving stock to its waiting line) has
    # committed by then and is seen - and released - here.
    wake = await _held_skus(session, event.order_id)
    found, items = await prepare(session, wake, more_skus={line.sku for line in lines})
    allocations = await _open_allocations(session, event.order_id)
    promises = await _open_promises(session, event.order_id)
    plans = await lock_plans(session, {p.plan_id for p in promises})
    reservations = await open_reservations(session, [p.plan_id for p in plans.values() if p.status == "planned"])
    held = {a.sku for a in allocations} | {p.sku for p in plans.values() if p.status == "planned"} | {r.sku for r in reservations}
    if held - wake:  # rare: the order got goods meanwhile (their items are locked: no wait but a new plan's materials)
        found, more = await prepare(session, wake | held, more_skus=set(items))
        items.update(more)
    lots = await lock_lots(session, {a.lot_id for a in allocations} | {r.lot_id for r in reservations})
    units = {line.line_no: line.unit for line in lines}
    released: list[AllocationOut] = []
    for allocation in allocations:
        lot = lots[allocation.lot_id]
        quantity = await release_allocation(session, lot, allocation)
        if quantity > 0:
            released.append(
                AllocationOut(
                    allocation_id=allocation.allocation_id, line_no=allocation.line_no, sku=allocation.sku,
                    lot_id=lot.lot_id, lot_no=lot.lot_no, quantity=quantity, unit=units[allocation.line_no],
                    expiry_date=lot.expiry_date,
                )
            )
    dropped: list[PromiseReleased] = []
    for promise in sorted(promises, key=lambda p: (p.line_no, p.plan_id)):
        rest = promise.open_quantity
        promise.released = promise.released + rest
        plan = plans[promise.plan_id]
        plan.promised = plan.promised - rest
        dropped.append(PromiseReleased(plan_id=promise.plan_id, line_no=promise.line_no, quantity=rest))
    for plan in plans.values():
        await fit_plan(session, plan, [r for r in reservations if r.plan_id == plan.plan_id], lots, items)
    for line in lines:
        await stop_waiting(session, line)
        line.status = "cancelled"
    if released or dropped:
        await ctx.emit(
            StockReleased(order_id=event.order_id, allocations=released, promises=dropped, reason=event.reason or "order cancelled"),
            correlation_id=event.order_id,
        )
    await emit_allocated(ctx, await resume(ctx, found, items, today))
    # Released goods may end a crossing; the waiting lines resumed above may start one.
    await replenish(ctx, set(items), today)


async def _open_allocations(session: AsyncSession, order_id: str) -> list[Allocation]:
    return list(
        (
            await session.execute(
                select(Allocation)
                .where(Allocation.order_id == order_id, Allocation.quantity - Allocation.shipped - Allocation.released > 0)
                .order_by(Allocation.allocation_id)
                .with_for_update(),
                execution_options={"populate_existing": True},
            )
        ).scalars()
    )


async def _open_promises(session: AsyncSession, order_id: str) -> list[Promise]:
    return list(
        (
            await session.execute(
                select(Promise)
                .where(Promise.order_id == order_id, Promise.quantity - Promise.allocated - Promise.released > 0)
                .order_by(Promise.line_no, Promise.plan_id),
                execution_options={"populate_existing": True},
            )
        ).scalars()
    )


async def _held_skus(session: AsyncSession, order_id: str) -> set[str]:
    """The items of what the order holds now, read without locks: its open allocations, the
    products of the planned plans it is promised on and their reserved materials."""
    allocated = set(
        (
            await session.execute(
                select(Allocation.sku).where(
                    Allocation.order_id == order_id, Allocation.quantity - Allocation.shipped - Allocation.released > 0
                )
            )
        ).scalars()
    )
    plans = (
        await session.execute(
            select(Plan.plan_id, Plan.sku)
            .join(Promise, Promise.plan_id == Plan.plan_id)
            .where(
                Promise.order_id == order_id, Promise.quantity - Promise.allocated - Promise.released > 0,
                Plan.status == "planned",
            )
        )
    ).all()
    materials = {r.sku for r in await open_reservations(session, [plan_id for plan_id, _ in plans])}
    return allocated | {sku for _, sku in plans} | materials
