"""Shipped: the allocated goods left. Each shipped line turns (part of) an allocation into a
`shipment` movement on its lot, so stock is deducted once per allocation and shipment.
Goods that left although a cancellation had released them are still deducted (from free stock)."""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import bindparam, select

from contracts.events import Shipped
from contracts.units import IncompatibleUnits
from eventkit import Context
from inventory.adapters.stock import LotChanges
from inventory.domain.quantities import to_base
from inventory.tables import Allocation, Item, Lot, StockMovement

ZERO = Decimal(0)

log = logging.getLogger("inventory.shipment")


_IDS = bindparam("ids", expanding=True)
_FRESH = {"populate_existing": True}
# An allocation's item never changes, so the item lock names it by a subquery (one statement
# instead of reading the SKUs first).
_LOCK_ITEMS = (
    select(Item).where(Item.sku.in_(select(Allocation.sku).where(Allocation.allocation_id.in_(_IDS))))
    .order_by(Item.sku).with_for_update(key_share=True)
)
# The allocations and their lots locked, and whether this shipment was applied to each, in
# one statement: under the item locks nothing else touches these rows, so locking both in
# one go cannot deadlock, and this statement's snapshot sees what a previous delivery of the
# same shipment committed before we got the items. The allocations come as plain rows (they
# change through LotChanges, in its one statement), their lots as the objects it keeps current.
_SHIPPED_BEFORE = (
    select(StockMovement.movement_id)
    .where(
        StockMovement.kind == "shipment", StockMovement.shipment_id == bindparam("shipment_id"),
        StockMovement.allocation_id == Allocation.allocation_id,
    )
    .exists()
)
_LOCK_ALLOCATIONS = (
    select(Allocation.allocation_id, Allocation.order_id, Allocation.sku, Allocation.lot_id,
           Allocation.quantity, Allocation.shipped, Allocation.released, Lot, _SHIPPED_BEFORE)
    .join(Lot, Lot.lot_id == Allocation.lot_id)
    .where(Allocation.allocation_id.in_(_IDS))
    .order_by(Allocation.allocation_id)
    .with_for_update()
)


async def on_shipped(ctx: Context, event: Shipped) -> None:
    await ship(ctx, event)


async def ship(ctx: Context, event: Shipped) -> None:
    session = ctx.session
    ids = sorted({line.allocation_id for line in event.lines})
    # Items first, then the allocations and lots (the order every stock change uses).
    items = {item.sku: item for item in (await session.execute(_LOCK_ITEMS, {"ids": ids}, execution_options=_FRESH)).scalars()}
    rows = (await session.execute(_LOCK_ALLOCATIONS, {"ids": ids, "shipment_id": event.shipment_id},
                                  execution_options=_FRESH)).all()
    allocations = {row.allocation_id: _Progress(row) for row in rows}
    lots = {row.Lot.lot_id: row.Lot for row in rows}
    already = {row.allocation_id for row in rows if row[-1]}
    event_id = ctx.envelope.event_id if ctx.envelope else None
    changes = LotChanges()
    for line in sorted(event.lines, key=lambda ln: ln.allocation_id):
        allocation = allocations.get(line.allocation_id)
        if allocation is None or allocation.order_id != event.order_id:
            log.warning("shipment %s: allocation %s of order %s unknown here; line ignored",
                        event.shipment_id, line.allocation_id, event.order_id)
            continue
        if allocation.allocation_id in already:
            continue  # this fact was applied before
        try:
            quantity = to_base(line.quantity, line.unit, items[allocation.sku].base_unit)
        except IncompatibleUnits as exc:
            log.warning("shipment %s: line %s ignored: %s", event.shipment_id, line.allocation_id, exc)
            continue
        if quantity <= 0:
            continue
        lot = lots[allocation.lot_id]
        refs = dict(order_id=event.order_id, shipment_id=event.shipment_id, allocation_id=allocation.allocation_id)
        if allocation.open_quantity > 0:
            # A carrier cannot take more than was set aside for this allocation.
            quantity = min(quantity, allocation.open_quantity)
            changes.post_movement(lot, "shipment", -quantity, event_id, allocated=-quantity, **refs)
            unreleased = ZERO
        elif allocation.released > 0:
            # Shipped although the order's cancellation had released it: the goods left, so
            # stock follows reality as far as the lot's free stock goes.
            wanted = min(quantity, allocation.released)
            quantity = min(wanted, max(lot.free, 0))
            if quantity <= 0:
                log.warning("shipment %s: released allocation %s shipped, its lot has no free stock left",
                            event.shipment_id, allocation.allocation_id)
                continue
            note = "shipped after the order's cancellation released it"
            if quantity < wanted:
                note += f"; reported {wanted}, only {quantity} was free"
            changes.post_movement(lot, "shipment", -quantity, event_id, note=note, **refs)
            unreleased = quantity
        else:
            continue  # shipped before
        allocation.shipped += quantity
        allocation.released -= unreleased
        changes.ship(allocation.allocation_id, event.shipment_id, quantity, released=-unreleased)
    await changes.write(session)


class _Progress:
    """An allocation's quantities as this step changes them (a line may name it twice)."""

    def __init__(self, row) -> None:
        self.allocation_id, self.order_id, self.sku, self.lot_id = row.allocation_id, row.order_id, row.sku, row.lot_id
        self.quantity, self.shipped, self.released = row.quantity, row.shipped, row.released

    @property
    def open_quantity(self) -> Decimal:
        return self.quantity - self.shipped - self.released
