"""HTTP commands: defining an item (created or changed, announced as ItemDefined through the
outbox in the same transaction) and receiving goods (a new lot and its `receipt` movement in
one transaction). A refusal says why and which HTTP status fits."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.units import IncompatibleUnits
from inventory.adapters.stock import new_id, post_movement
from eventkit import Context
from inventory.domain.catalog import item_defined, item_problems
from inventory.domain.pieces import fractional_pieces
from inventory.domain.quantities import to_base
from inventory.tables import Item, Lot, utcnow
from inventory.schemas import ItemChange, ItemIn, ReceiptIn


class Refused(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


async def add_item(ctx: Context, body: ItemIn) -> Item:
    session = ctx.session
    problems = item_problems(body.name, body.base_unit, body.max_order_quantity)
    if problems:
        raise Refused(422, "; ".join(problems))
    if await session.get(Item, body.sku) is not None:
        raise Refused(409, f"item {body.sku} exists already")
    item = Item(**body.model_dump())
    item.name = item.name.strip()
    session.add(item)
    await session.flush()
    await announce(ctx, item)
    return item


async def change_item(ctx: Context, sku: str, body: ItemChange) -> Item:
    """Apply the fields given (kind and base unit are fixed: stock and recipes depend on them)."""
    item = await ctx.session.get(Item, sku, with_for_update=True)
    if item is None:
        raise Refused(404, f"no item {sku}")
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "active"):
        if required in changes and changes[required] is None:
            raise Refused(422, f"{required} cannot be cleared")
    after = {**{k: getattr(item, k) for k in ("name", "max_order_quantity")}, **changes}
    problems = item_problems(after["name"], item.base_unit, after["max_order_quantity"])
    if problems:
        raise Refused(422, "; ".join(problems))
    if all(getattr(item, k) == v for k, v in changes.items()):
        return item  # nothing changes: no new revision, no event
    for k, v in changes.items():
        setattr(item, k, v.strip() if k == "name" else v)
    item.revision += 1
    item.updated_at = utcnow()
    await ctx.session.flush()
    await announce(ctx, item)
    return item


async def announce(ctx: Context, item: Item) -> None:
    """ItemDefined in the item's transaction (outbox): replicas learn every change."""
    await ctx.emit(item_defined(item), correlation_id=item.sku)


async def announce_all(ctx: Context) -> int:
    """Every item again (same revisions: replicas that have them change nothing) - for
    replicas started after the items were defined, e.g. after an upgrade."""
    items = (await ctx.session.execute(select(Item).order_by(Item.sku))).scalars().all()
    for item in items:
        await announce(ctx, item)
    return len(items)


async def receive(session: AsyncSession, body: ReceiptIn, today: date) -> Lot:
    item = await session.get(Item, body.sku)
    if item is None:
        raise Refused(422, f"unknown item {body.sku}: register it with POST /items first")
    try:
        quantity = to_base(body.quantity, body.unit, item.base_unit)
    except IncompatibleUnits as exc:
        raise Refused(422, f"{body.sku} is kept in {item.base_unit}: {exc}") from None
    if quantity <= 0:
        raise Refused(422, f"{body.quantity} {body.unit} is less than the smallest quantity of {item.base_unit}")
    if fractional_pieces(quantity, item.base_unit):
        raise Refused(422, f"{body.sku} is counted in whole pieces: {body.quantity} {body.unit} is not a whole number")
    received = body.received_date or today
    # Refused rather than pre-registered: a lot counts as stock from the moment it exists
    # (allocation and reservation do not look at dates), so a receipt dated tomorrow would be
    # promised to today's orders. Expected supply is a purchase order's job, not a lot's.
    if received > today:
        raise Refused(422, f"receipt date {received} is in the future: receive goods when they arrive")
    expiry = body.expiry_date
    if expiry is None and item.shelf_life_days:
        expiry = received + timedelta(days=item.shelf_life_days)
    if expiry is not None and expiry < received:
        raise Refused(422, f"expiry date {expiry} is before the receipt date {received}")
    lot_id = new_id()
    lot_no = body.lot_no or f"L{received:%y%m%d}-{lot_id[:8]}"
    if (await session.execute(select(Lot.lot_id).where(Lot.sku == body.sku, Lot.lot_no == lot_no))).first():
        raise Refused(409, f"lot {lot_no} of {body.sku} exists already")
    lot = Lot(
        lot_id=lot_id, sku=body.sku, lot_no=lot_no, supplier_lot_no=body.supplier_lot_no, source="receipt",
        received_date=received, expiry_date=expiry,
    )
    session.add(lot)
    await post_movement(session, lot, "receipt", quantity, note=f"received {body.quantity} {body.unit}")
    await session.flush()
    return lot
