"""Step 3 of a completion: the output put in stock as a finished lot (lot_no = batch_no,
ledger `production`), recorded on the completion. The caller holds the product's item
lock; the new lot is nobody else's yet."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Date, DateTime, Numeric, Uuid, bindparam, text
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import BatchCompleted
from contracts.units import IncompatibleUnits
from eventkit import Context, DomainRejection
from inventory.adapters.stock import new_id
from inventory.commands import announce
from inventory.domain.quantities import to_base
from inventory.tables import CompletedBatch, Item, Lot, RecipeReplica


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
    # Recorded on the completion by the lot's statement (the session's object only learns it).
    set_committed_value(completion, "finished_lot_id", lot.lot_id if lot else None)
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


# The finished lot, its ledger row and the completion's link to it, in one statement. The lot
# is numbered after the batch unless a lot of that number exists already (e.g. typed in a
# receipt); it is written holding its output, beside its ledger row (on-hand and ledger still
# change together): nobody else can see the lot yet, so a relative UPDATE would only cost a
# round trip.
_PUT_IN_STOCK = text(
    "WITH numbered AS ("
    " SELECT CASE WHEN EXISTS (SELECT 1 FROM lots WHERE sku = :sku AND lot_no = :lot_no) THEN :other_lot_no"
    " ELSE :lot_no END AS lot_no"
    "), lot AS ("
    " INSERT INTO lots (lot_id, sku, lot_no, source, batch_id, received_date, expiry_date, on_hand, reserved, allocated,"
    " on_hold, hold_seq, created_at)"
    " SELECT :lot_id, :sku, lot_no, 'production', :batch_id, :received_date, :expiry_date, :output, 0, 0, false, 0,"
    " :created_at FROM numbered RETURNING lot_no"
    "), moved AS ("
    " INSERT INTO stock_movements (lot_id, sku, kind, quantity, batch_id, note, event_id, created_at)"
    " VALUES (:lot_id, :sku, 'production', :output, :batch_id, '', :event_id, :created_at)"
    "), linked AS ("
    " UPDATE completed_batches SET finished_lot_id = :lot_id WHERE batch_id = :batch_id"
    ") SELECT lot_no FROM lot"
).bindparams(bindparam("event_id", type_=Uuid), bindparam("expiry_date", type_=Date),
             bindparam("received_date", type_=Date), bindparam("created_at", type_=DateTime(timezone=True)),
             bindparam("output", type_=Numeric))


async def _finished_lot(
    session: AsyncSession, event: BatchCompleted, item: Item, output: Decimal, today: date, event_id: UUID | None
) -> Lot:
    expiry = event.expiry_date
    if expiry is None and item.shelf_life_days:
        expiry = today + timedelta(days=item.shelf_life_days)
    lot = Lot(
        lot_id=new_id(), sku=event.sku, lot_no=event.batch_no, source="production", batch_id=event.batch_id,
        received_date=today, expiry_date=expiry, on_hand=output,
    )
    lot.lot_no = (
        await session.execute(
            _PUT_IN_STOCK,
            {"lot_id": lot.lot_id, "sku": lot.sku, "lot_no": event.batch_no,
             "other_lot_no": f"{event.batch_no}-{event.batch_id[:8]}", "batch_id": event.batch_id,
             "received_date": today, "expiry_date": expiry, "output": output, "event_id": event_id,
             "created_at": lot.created_at},
        )
    ).scalar_one()
    # The session takes the written lot as its own (no INSERT of its own): the steps after
    # this change it through LotChanges like any locked lot.
    make_transient_to_detached(lot)
    session.add(lot)
    return lot
