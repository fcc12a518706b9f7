"""Step 4 of a completion: the output shared among the orders promised against the plan
(higher priority first, then older orders) and allocated to them in the new lot. The
caller holds the product's item lock and the plan row (see `allocate_output`)."""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.adapters.stock import LotChanges
from inventory.domain.allocation import Claim, share_output
from inventory.tables import CompletedBatch, Lot, OrderDemand, Plan, Promise

log = logging.getLogger("inventory.completion")


async def allocate_output(
    session: AsyncSession, plan: Plan, lot: Lot | None, output: Decimal, completion: CompletedBatch, changes: LotChanges
) -> tuple[list[str], list[Promise]]:
    """Allocate the output to the plan's open promises (in `changes`: the caller writes them
    with the consumption, in one statement); returns the orders affected and the promises
    that were open (what the output did not cover is still open on them).
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
        changes.allocate(lot, promise.order_id, promise.line_no, share.quantity, plan_id=plan.plan_id)
        if promise.order_id not in affected:
            affected.append(promise.order_id)
    if split.shortfall > 0:
        log.warning("batch %s made %s less than promised: re-planned", plan.batch_no, split.shortfall)
    await session.flush()
    return affected, list(promises.values())
