"""Batches for stock: inventory planned a replenishment (a reorder point was crossed) and
reserved its materials; production puts it in the same queue as batches for orders (first
day with a free slot, the same advisory lock), purpose "stock", covering no order. Orders
promised against its output later arrive as MaterialsReserved on the same plan and are
covered like on any batch; their cancellation never cancels it (domain.cancellation.fate)."""

from __future__ import annotations

from contracts.events import ReplenishmentPlanned
from eventkit import Context
from production import announce, clock
from production.adapters import batches
from production.domain.completion import LotUse
from production.domain.lifecycle import BatchStatus, announces_schedule
from production.domain.scheduling import batch_number, first_free_day, planned_end

# Material reserved for stock belongs to no order line: recorded under this pseudo line
# (batch_materials is keyed per order line so a redelivered reservation replaces itself).
FOR_STOCK = ("", 0)


async def on_replenishment_planned(ctx: Context, event: ReplenishmentPlanned, *, batches_per_day: int = 4) -> None:
    """Plan the batch for stock once. If an order's MaterialsReserved on the same plan came
    first (another topic), the batch exists already: it is marked for stock and its lots are
    recorded. The same fact again changes nothing and announces nothing."""
    s = ctx.session
    batch = await batches.get(s, event.plan_id, lock=True)
    changed = False
    if batch is None:
        await batches.lock_scheduling(s)
        today = clock.today()
        planning = await batches.planning(s, event.plan_id, today)
        batch = planning.batch
        if batch is None:
            start = first_free_day(today, planning.load, batches_per_day)
            batch = batches.Batch(
                batch_id=event.plan_id, batch_no=batch_number(today, planning.sequence), sku=event.sku,
                recipe_version=event.recipe_version, planned_quantity=event.batch_quantity, unit=event.unit.value,
                status=BatchStatus.planned, planned_start=start, planned_end=planned_end(start, event.lead_time_days),
                lead_time_days=event.lead_time_days, started_at=None, completed_at=None, output_quantity=None,
                waste_quantity=None, expiry_date=None, created_at=clock.now(), purpose="stock",
            )
            await batches.insert(s, batch)
            changed = True
    if batch.purpose != "stock":
        batch = await batches.mark_for_stock(s, batch)
        changed = True
    order_id, line_no = FOR_STOCK
    lots = [LotUse(r.lot_id, r.sku, r.lot_no, r.quantity, r.unit.value, r.expiry_date) for r in event.reservations]
    changed |= await batches.reserve(s, batch.batch_id, order_id, line_no, lots)
    if changed and announces_schedule(batch.status):
        await announce.scheduled(ctx, batch.batch_id)
