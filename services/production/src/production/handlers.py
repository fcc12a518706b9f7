"""Event handlers: a material reservation plans (or extends) a batch; an order's cancellation
cancels, shrinks or releases the batches that covered it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from contracts.events import ItemDefined, MaterialsReserved, OrderCancelled
from contracts.units import IncompatibleUnits, convert
from eventkit import Context, DomainRejection, serialized_by
from production import announce, clock
from production.adapters import batches, cancellations, catalog
from production.domain.cancellation import Fate, fate, order_cancelled_reason, shrunk_quantity
from production.domain.completion import LotUse
from production.domain.lifecycle import BatchStatus, announces_schedule
from production.domain.scheduling import batch_number, first_free_day, planned_end


@serialized_by(lambda event: cancellations.order_lock(event.order_id))
async def on_materials_reserved(ctx: Context, event: MaterialsReserved, *, batches_per_day: int = 4) -> None:
    """Plan the batch `plan_id` if it is new, add the order line to what it covers, record
    the reserved lots, and announce the whole plan with BatchScheduled.

    Idempotent by state: a line or lot already recorded with the same quantity changes
    nothing and announces nothing, whatever the event id. A reservation for an order already
    cancelled (the cancellation came first, on another topic) covers nothing; see _withdrawn."""
    s = ctx.session
    await ctx.lock(cancellations.order_lock(event.order_id))
    # A batch for stock outlives its orders: known from this event already, in case it comes
    # before the plan's ReplenishmentPlanned (another topic) and the order is cancelled meanwhile.
    for_stock = event.plan_purpose == "stock"
    target = await batches.for_reservation(s, event.plan_id, event.order_id)
    withdrawn, batch = target.order_cancelled, target.batch
    created = False
    if batch is None:
        # Choosing a day and inserting must be atomic with respect to other plannings: the
        # scheduling lock came with for_reservation, the plan is looked for again under it.
        today = clock.today()
        planning = await batches.planning(s, event.plan_id, today)
        batch = planning.batch
        if batch is None:
            batch = _plan(event, today, planning, batches_per_day, withdrawn and not for_stock,
                          target.cancelled_order_no)
            created = True
            if withdrawn:  # inserted below with its first line otherwise
                await batches.insert(s, batch)

    if batch.sku != event.sku:
        raise DomainRejection(f"plan {event.plan_id} is a batch of {batch.sku}, not {event.sku}")
    if for_stock and batch.purpose != "stock":
        batch = await batches.mark_for_stock(s, batch)
    if withdrawn:
        if not for_stock:
            await _withdrawn(ctx, event, batch, created)
        return  # a batch for stock stays planned, covering nothing of the cancelled order
    promised = _in_unit(event.quantity_promised, event.unit, batch.unit)
    lots = [LotUse(r.lot_id, r.sku, r.lot_no, r.quantity, r.unit.value, r.expiry_date) for r in event.reservations]
    if created:
        recorded = await batches.plan(s, batch, event.order_id, event.line_no, promised, lots)
    else:
        grow_to = _in_unit(event.batch_quantity, event.unit, batch.unit) if batch.status == BatchStatus.planned else None
        recorded = await batches.record(s, batch.batch_id, event.order_id, event.line_no, promised, lots,
                                        grow_to=grow_to)

    if (created or recorded.changed) and announces_schedule(batch.status):
        # The batch is locked since for_reservation: as read then, with what this handler changed.
        if recorded.grown_to is not None:
            batch = replace(batch, planned_quantity=recorded.grown_to)
        await announce.scheduled_as(ctx, batch, recorded.covers)


async def _withdrawn(ctx: Context, event: MaterialsReserved, batch: batches.Batch, created: bool) -> None:
    """Inventory set material aside for an order production already knows is cancelled.
    The line is not covered and the lots are not recorded; inventory is told what to release:
    a batch created for it alone is born cancelled (BatchCancelled: release the whole plan);
    a planned batch the reservation meant to grow keeps its size (BatchScheduled: release
    the growth). A started or finished batch has nothing to give back."""
    if created:
        await announce.cancelled(ctx, batch, [], batch.cancel_reason or "", batch.cancelled_at,
                                 cancelled_orders=[event.order_id])
    elif batch.status == BatchStatus.planned and (
        _in_unit(event.batch_quantity, event.unit, batch.unit) > batch.planned_quantity
    ):
        await announce.scheduled(ctx, batch.batch_id)


async def on_item_defined(ctx: Context, event: ItemDefined) -> None:
    """Keep the catalog replica that recipes are checked against (newest revision wins)."""
    await catalog.upsert(ctx.session, event)


@serialized_by(lambda event: cancellations.order_lock(event.order_id))
async def on_order_cancelled(ctx: Context, event: OrderCancelled) -> None:
    """Decide the fate of every batch covering the order (domain.cancellation.fate): a
    planned batch it alone filled is cancelled (BatchCancelled with the lines it covered);
    a planned batch shared with other orders drops its lines and shrinks to the recipe's
    batch rule for what remains (BatchScheduled); a started batch drops its lines, its output
    goes to stock (BatchScheduled). The order is remembered as cancelled for reservations that
    arrive later. A second cancellation finds nothing covered any more and emits nothing."""
    s = ctx.session
    await ctx.lock(cancellations.order_lock(event.order_id))
    reason = order_cancelled_reason(event.order_id, event.reason, event.order_no)
    for batch in await cancellations.cancel_order(s, event.order_id, event.order_no, event.reason, event.cancelled_at):
        stake = await cancellations.at_stake(s, batch)
        covered = stake.covers
        outcome = fate(batch.status, covered, event.order_id, batch.purpose)
        if outcome == Fate.cancel:
            at = clock.now()
            await cancellations.mark_cancelled(s, batch.batch_id, at, reason)
            await announce.cancelled(ctx, batch, covered, reason, at, cancelled_orders=[event.order_id])
        elif outcome in (Fate.shrink, Fate.release):
            remaining = [c for c in covered if c.order_id != event.order_id]
            shrink_to = None
            if outcome == Fate.shrink:
                shrink_to = _size_for(batch, stake.rules, sum((c.quantity for c in remaining), Decimal(0)))
            shrunk = await cancellations.drop_order(s, batch.batch_id, event.order_id, shrink_to)
            # Locked since cancel_order: as read then, with what this handler changed.
            await announce.scheduled_as(ctx, batch if shrunk is None else replace(batch, planned_quantity=shrunk),
                                        remaining)


def _size_for(batch: batches.Batch, rules: Mapping[str, Any] | None, remaining: Decimal) -> Decimal:
    """The batch size the recipe's rule gives for what is still covered; the current size
    when the recipe (or a unit conversion to the batch's unit) is unknown here."""
    if rules is None:
        return batch.planned_quantity
    try:
        batch_min = convert(rules["batch_min"], rules["output_unit"], batch.unit)
        multiple = convert(rules["batch_multiple"], rules["output_unit"], batch.unit)
    except IncompatibleUnits:
        return batch.planned_quantity
    return shrunk_quantity(batch.planned_quantity, remaining, batch_min, multiple)


def _plan(event: MaterialsReserved, today: date, planning: batches.Planning, batches_per_day: int,
          withdrawn: bool, cancelled_order_no: str | None = None) -> batches.Batch:
    """The batch the reservation makes, not inserted yet."""
    # A batch born cancelled takes no capacity slot: it starts "today" on paper only.
    start = today if withdrawn else first_free_day(today, planning.load, batches_per_day)
    return batches.Batch(
        batch_id=event.plan_id,
        batch_no=batch_number(today, planning.sequence),
        sku=event.sku,
        recipe_version=event.recipe_version,
        planned_quantity=event.batch_quantity,
        unit=event.unit.value,
        status=BatchStatus.cancelled if withdrawn else BatchStatus.planned,
        planned_start=start,
        planned_end=planned_end(start, event.lead_time_days),
        lead_time_days=event.lead_time_days,
        started_at=None,
        completed_at=None,
        output_quantity=None,
        waste_quantity=None,
        expiry_date=None,
        created_at=clock.now(),
        cancelled_at=clock.now() if withdrawn else None,
        cancel_reason=order_cancelled_reason(event.order_id, order_no=cancelled_order_no) if withdrawn else None,
        purpose="stock" if event.plan_purpose == "stock" else "order",
    )


def _in_unit(quantity: Decimal, unit: str, batch_unit: str) -> Decimal:
    try:
        return convert(quantity, unit, batch_unit)
    except IncompatibleUnits as exc:
        raise DomainRejection(f"quantity in {unit} does not fit a batch counted in {batch_unit}: {exc}") from exc
