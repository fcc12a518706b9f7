"""Step 3 of a completion: the output put in stock as a finished lot (lot_no = batch_no,
ledger `production`), recorded on the completion. The caller holds the product's item
lock; the new lot is nobody else's yet."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import BatchCompleted
from contracts.units import IncompatibleUnits
from eventkit import Context, DomainRejection
from inventory.adapters.stock import new_id
from inventory.commands import announce
from inventory.domain.quantities import to_base
from inventory.tables import CompletedBatch, Item, Lot, RecipeReplica, StockMovement


async def put_in_stock(
    ctx: Context, event: BatchCompleted, completion: CompletedBatch, items: dict[str, Item], today: date,
    event_id: UUID | None,
) -> tuple[Lot | None, Decimal]:
    """The finished lot (none when nothing was made, recorded on the completion) and the
    output in the item's base unit."""
    item = items.get(event.sku) or await _finished_item(ctx, event)
    try:
        output = to_base(event.output_quantity, event.unit, item.base_unit)
    except IncompatibleUnits as exc:
        raise DomainRejection(f"batch {event.batch_no}: output in {event.unit}, {event.sku} is kept in {item.base_unit}") from exc
    lot = await _finished_lot(ctx.session, event, item, output, today, event_id) if output > 0 else None
    completion.finished_lot_id = lot.lot_id if lot else None
    return lot, output


async def _finished_item(ctx: Context, event: BatchCompleted) -> Item:
    """Goods were made of an item inventory does not know (production made it before the
    item was defined here): the stock is a physical fact, so the item is recorded - and
    announced like any other, so the catalog replicas learn of it."""
    recipe = await ctx.session.get(RecipeReplica, event.sku)
    item = Item(sku=event.sku, name=recipe.name if recipe else event.sku, kind="finished", base_unit=event.unit,
                shelf_life_days=recipe.shelf_life_days if recipe else None)
    ctx.session.add(item)
    await ctx.session.flush()
    await announce(ctx, item)
    return item


async def _finished_lot(
    session: AsyncSession, event: BatchCompleted, item: Item, output: Decimal, today: date, event_id: UUID | None
) -> Lot:
    lot_no = event.batch_no
    taken = (await session.execute(select(Lot.lot_id).where(Lot.sku == event.sku, Lot.lot_no == lot_no))).first()
    if taken is not None:  # a lot of that number exists already (e.g. typed in a receipt)
        lot_no = f"{event.batch_no}-{event.batch_id[:8]}"
    expiry = event.expiry_date
    if expiry is None and item.shelf_life_days:
        expiry = today + timedelta(days=item.shelf_life_days)
    # The new lot is written holding its output, beside its ledger row (on-hand and ledger still
    # change together): nobody else can see the lot yet, so a relative UPDATE after the INSERT
    # would only cost a round trip.
    lot = Lot(
        lot_id=new_id(), sku=event.sku, lot_no=lot_no, source="production", batch_id=event.batch_id,
        received_date=today, expiry_date=expiry, on_hand=output,
    )
    session.add(lot)
    session.add(
        StockMovement(lot_id=lot.lot_id, sku=lot.sku, kind="production", quantity=output, event_id=event_id,
                      batch_id=event.batch_id)
    )
    await session.flush()
    return lot
