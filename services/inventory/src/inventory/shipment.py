"""Shipped: the allocated goods left. Each shipped line turns (part of) an allocation into a
`shipment` movement on its lot, so stock is deducted once per allocation and shipment."""

from __future__ import annotations

import logging

from sqlalchemy import select

from contracts.events import Shipped
from contracts.units import IncompatibleUnits
from eventkit import Context
from inventory.adapters.stock import lock_items, lock_lots, post_movement
from inventory.domain.quantities import to_base
from inventory.tables import Allocation, StockMovement, utcnow

log = logging.getLogger("inventory.shipment")


async def ship(ctx: Context, event: Shipped) -> None:
    session = ctx.session
    ids = sorted({line.allocation_id for line in event.lines})
    allocations = {
        a.allocation_id: a
        for a in (
            await session.execute(
                select(Allocation).where(Allocation.allocation_id.in_(ids)).order_by(Allocation.allocation_id).with_for_update(),
                execution_options={"populate_existing": True},
            )
        ).scalars()
    }
    items = await lock_items(session, {a.sku for a in allocations.values()})
    lots = await lock_lots(session, {a.lot_id for a in allocations.values()})
    already = set(
        (
            await session.execute(
                select(StockMovement.allocation_id).where(
                    StockMovement.kind == "shipment",
                    StockMovement.shipment_id == event.shipment_id,
                    StockMovement.allocation_id.in_(ids),
                )
            )
        ).scalars()
    )
    for line in sorted(event.lines, key=lambda ln: ln.allocation_id):
        allocation = allocations.get(line.allocation_id)
        if allocation is None or allocation.order_id != event.order_id:
            log.warning("shipment %s: allocation %s of order %s unknown here; line ignored",
                        event.shipment_id, line.allocation_id, event.order_id)
            continue
        if allocation.allocation_id in already or allocation.open_quantity <= 0:
            continue  # this fact was applied before
        try:
            quantity = to_base(line.quantity, line.unit, items[allocation.sku].base_unit)
        except IncompatibleUnits as exc:
            log.warning("shipment %s: line %s ignored: %s", event.shipment_id, line.allocation_id, exc)
            continue
        # A carrier cannot take more than was set aside for this allocation.
        quantity = min(quantity, allocation.open_quantity)
        if quantity <= 0:
            continue
        lot = lots[allocation.lot_id]
        await post_movement(
            session, lot, "shipment", -quantity, ctx.envelope.event_id if ctx.envelope else None, allocated=-quantity,
            order_id=event.order_id, shipment_id=event.shipment_id, allocation_id=allocation.allocation_id,
        )
        allocation.shipped += quantity
        allocation.shipment_id = event.shipment_id
        if allocation.shipped >= allocation.quantity:
            allocation.status, allocation.shipped_at = "shipped", utcnow()
