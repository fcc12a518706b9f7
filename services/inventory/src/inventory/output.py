"""A finished batch's output shared among the orders promised against its plan (higher
priority first, then older orders), and what a yield shortfall leaves: released promises
whose lines are re-planned, and orders partly served (backordered)."""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.stock import allocate
from inventory.domain.allocation import Claim, share_output
from inventory.tables import Allocation, CompletedBatch, Lot, OrderDemand, Plan, Promise

log = logging.getLogger("inventory.completion")


async def allocate_output(
    session: AsyncSession, plan: Plan, lot: Lot | None, output: Decimal, completion: CompletedBatch
) -> list[str]:
    """Allocate the output to the plan's open promises; returns the orders affected.
    No cancellation check is needed here: the caller holds the product's item lock, under
    which an OrderCancelled releases the order's promises, so an open promise read now is
    a live order's (a cancellation waiting for the lock reads what this allocates)."""
    rows = (
        await session.execute(
            select(Promise, OrderDemand)
            .join(OrderDemand, OrderDemand.order_id == Promise.order_id)
            .where(Promise.plan_id == plan.plan_id, Promise.allocated + Promise.released < Promise.quantity)
        )
    ).all()
    promises = {(p.order_id, p.line_no): p for p, _ in rows}
    claims = [Claim(p.order_id, p.line_no, p.open_quantity, o.priority, o.placed_at) for p, o in rows]
    split = share_output(output, claims)
    completion.shortfall = split.shortfall
    affected: list[str] = []
    for share in split.shares:
        promise = promises[(share.claim.order_id, share.claim.line_no)]
        promise.allocated += share.quantity
        await allocate(session, lot, promise.order_id, promise.line_no, share.quantity, plan_id=plan.plan_id)
        if promise.order_id not in affected:
            affected.append(promise.order_id)
    if split.shortfall > 0:
        log.warning("batch %s made %s less than promised: re-planned", plan.batch_no, split.shortfall)
    await session.flush()
    return affected


async def release_shortfall(session: AsyncSession, plan: Plan) -> set[str]:
    """The promises the output could not cover are released (their lines are re-planned
    for the rest); returns the orders concerned."""
    promises = (
        await session.execute(
            select(Promise).where(Promise.plan_id == plan.plan_id), execution_options={"populate_existing": True}
        )
    ).scalars().all()
    short: set[str] = set()
    for promise in promises:
        rest = promise.open_quantity
        if rest > 0:
            promise.released = promise.released + rest
            plan.promised = plan.promised - rest
            short.add(promise.order_id)
    return short


async def keeps_allocations(session: AsyncSession, order_id: str) -> bool:
    kept = await session.scalar(
        select(func.count()).select_from(Allocation).where(
            Allocation.order_id == order_id, Allocation.quantity - Allocation.released > 0
        )
    )
    return bool(kept)
