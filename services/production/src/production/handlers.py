"""Event handlers: a material reservation plans (or extends) a batch."""

from __future__ import annotations

from decimal import Decimal

from contracts.events import BatchScheduled, MaterialsReserved
from contracts.units import IncompatibleUnits, convert
from eventkit import Context, DomainRejection
from production import clock
from production.adapters import batches
from production.domain.completion import LotUse
from production.domain.lifecycle import BatchStatus, announces_schedule
from production.domain.scheduling import batch_number, first_free_day, planned_end


async def on_materials_reserved(ctx: Context, event: MaterialsReserved, *, batches_per_day: int = 4) -> None:
    """Plan the batch `plan_id` if it is new, add the order line to what it covers, record
    the reserved lots, and announce the whole plan with BatchScheduled.

    Idempotent by state: a line or lot already recorded with the same quantity changes
    nothing and announces nothing, whatever the event id."""
    s = ctx.session
    batch = await batches.get(s, event.plan_id, lock=True)
    created = False
    if batch is None:
        # Choosing a day and inserting must be atomic with respect to other plannings.
        await batches.lock_scheduling(s)
        batch = await batches.get(s, event.plan_id, lock=True)
        if batch is None:
            batch = await _plan(ctx, event, batches_per_day)
            created = True

    if batch.sku != event.sku:
        raise DomainRejection(f"plan {event.plan_id} is a batch of {batch.sku}, not {event.sku}")
    promised = _in_unit(event.quantity_promised, event.unit, batch.unit)
    changed = created
    if batch.status == BatchStatus.planned and not created:
        changed |= await batches.grow(s, batch.batch_id, _in_unit(event.batch_quantity, event.unit, batch.unit))
    changed |= await batches.cover(s, batch.batch_id, event.order_id, event.line_no, promised)
    for r in event.reservations:
        lot = LotUse(r.lot_id, r.sku, r.lot_no, r.quantity, r.unit.value, r.expiry_date)
        changed |= await batches.reserve(s, batch.batch_id, event.order_id, event.line_no, lot)

    if not (changed and announces_schedule(batch.status)):
        return
    batch = await batches.get(s, batch.batch_id)
    covered = (await batches.covers(s, [batch.batch_id]))[batch.batch_id]
    await ctx.emit(
        BatchScheduled(
            batch_id=batch.batch_id,
            batch_no=batch.batch_no,
            sku=batch.sku,
            planned_quantity=batch.planned_quantity,
            unit=batch.unit,
            covers=covered,
            planned_start=batch.planned_start,
            planned_end=batch.planned_end,
        )
    )


async def _plan(ctx: Context, event: MaterialsReserved, batches_per_day: int) -> batches.Batch:
    s = ctx.session
    today = clock.today()
    start = first_free_day(today, await batches.day_load(s, today), batches_per_day)
    batch = batches.Batch(
        batch_id=event.plan_id,
        batch_no=batch_number(today, await batches.next_sequence(s)),
        sku=event.sku,
        recipe_version=event.recipe_version,
        planned_quantity=event.batch_quantity,
        unit=event.unit.value,
        status=BatchStatus.planned,
        planned_start=start,
        planned_end=planned_end(start, event.lead_time_days),
        lead_time_days=event.lead_time_days,
        started_at=None,
        completed_at=None,
        output_quantity=None,
        waste_quantity=None,
        expiry_date=None,
        created_at=clock.now(),
    )
    await batches.insert(s, batch)
    return batch


def _in_unit(quantity: Decimal, unit: str, batch_unit: str) -> Decimal:
    try:
        return convert(quantity, unit, batch_unit)
    except IncompatibleUnits as exc:
        raise DomainRejection(f"quantity in {unit} does not fit a batch counted in {batch_unit}: {exc}") from exc
