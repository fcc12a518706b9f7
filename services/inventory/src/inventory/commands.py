"""HTTP commands: registering an item and receiving goods (a new lot and its `receipt`
movement in one transaction). A refusal says why and which HTTP status fits."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.units import IncompatibleUnits
from inventory.adapters.stock import new_id, post_movement
from inventory.domain.quantities import to_base
from inventory.tables import Item, Lot
from inventory.views import ItemIn, ReceiptIn


class Refused(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


async def add_item(session: AsyncSession, body: ItemIn) -> Item:
    if await session.get(Item, body.sku) is not None:
        raise Refused(409, f"item {body.sku} exists already")
    item = Item(**body.model_dump())
    session.add(item)
    await session.flush()
    return item


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
    received = body.received_date or today
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
