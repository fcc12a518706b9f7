"""Step 5 of a completion: what a yield shortfall leaves. The promises the output could not
cover are released (their lines are re-planned by the resumption that follows: surplus of
another plan, a new plan, or waiting), and the orders partly served are marked
`backordered`: what was allocated may ship now. The caller holds the product's item lock
and the plan row."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.tables import Allocation, OrderDemand, Plan, Promise


def release_shortfall(plan: Plan, promises: list[Promise]) -> set[str]:
    """The promises the output could not cover are released (their lines are re-planned
    for the rest); returns the orders concerned. `promises`: the plan's promises that were
    open before the output was allocated (read under the product's item lock and the plan
    row by `allocate_output`; a promise not open then has nothing to release)."""
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


async def mark_backordered(session: AsyncSession, short: set[str]) -> list[str]:
    """The short orders that keep an allocation: partly served, the rest re-planned or
    waiting. Returns them (each is told OrderAllocated with `backordered`)."""
    told: list[str] = []
    for order_id in sorted(short):
        if await keeps_allocations(session, order_id):
            order = await session.get(OrderDemand, order_id)
            order.backordered = True
            told.append(order_id)
    return told
