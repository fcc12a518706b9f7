"""Event handlers. Each runs in the transaction that also records the event in the inbox;
each is idempotent by state, since the same fact may arrive twice under different event
ids, and OrderPlaced / OrderAllocated / OrderCancelled travel on different topics and
arrive in any order."""

from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert

from contracts.events import OrderAllocated, OrderCancelled, OrderPlaced
from eventkit import Context, DomainRejection
from shipping import repository as repo
from shipping.domain.shipment import AllocationAction, Status, cancel_applies, on_allocation
from shipping.tables import OrderRecord, Shipment


async def on_order_placed(ctx: Context, event: OrderPlaced) -> None:
    """Keep the recipient; a confirmation that waited for it can now be mailed."""
    c = event.customer
    recipient = dict(
        order_no=event.order_no, recipient_name=c.name, recipient_email=c.email, recipient_address=c.address,
        recipient_phone=c.phone, recipient_country=c.country, updated_at=func.now(),
    )
    await ctx.session.execute(
        insert(OrderRecord)
        .values(order_id=event.order_id, **recipient)
        .on_conflict_do_update(index_elements=["order_id"], set_=recipient)
    )
    order = await repo.order_record(ctx.session, event.order_id)
    await ctx.session.refresh(order)
    await repo.release_waiting_notifications(ctx.session, order)


async def on_order_allocated(ctx: Context, event: OrderAllocated) -> None:
    """A fully allocated order gets one prepared shipment carrying the allocated lots; while
    it is still prepared it follows the latest (cumulative) allocation state."""
    if event.fully_allocated and not event.allocations:
        raise DomainRejection(f"order {event.order_id} is fully allocated but lists no allocations")
    order = await repo.order_record(ctx.session, event.order_id)
    shipment = await repo.shipment_by_order(ctx.session, event.order_id, lock=True)
    action = on_allocation(
        Status(shipment.status) if shipment else None,
        fully_allocated=event.fully_allocated,
        order_cancelled=bool(order and order.cancelled_at),
    )
    if action is AllocationAction.IGNORE:
        return
    if action is AllocationAction.PREPARE:
        shipment_id = repo.shipment_id_for(event.order_id)
        await ctx.session.execute(
            insert(Shipment)
            .values(
                shipment_id=shipment_id, order_id=event.order_id, status=Status.PREPARED.value,
                prepared_at=func.now(), updated_at=func.now(),
            )
            .on_conflict_do_nothing(index_elements=["order_id"])
        )
        await repo.replace_lines(ctx.session, shipment_id, event.allocations)
        return
    if await repo.replace_lines(ctx.session, shipment.shipment_id, event.allocations):
        await ctx.session.execute(
            update(Shipment).where(Shipment.shipment_id == shipment.shipment_id).values(updated_at=func.now())
        )


async def on_order_cancelled(ctx: Context, event: OrderCancelled) -> None:
    """Remember the cancellation (a late OrderAllocated must not prepare a shipment) and
    withdraw a shipment that has not left yet. A shipped one stays shipped."""
    await ctx.session.execute(
        insert(OrderRecord)
        .values(order_id=event.order_id, cancelled_at=event.cancelled_at, updated_at=func.now())
        .on_conflict_do_update(
            index_elements=["order_id"],
            set_=dict(cancelled_at=func.coalesce(OrderRecord.cancelled_at, event.cancelled_at), updated_at=func.now()),
        )
    )
    shipment = await repo.shipment_by_order(ctx.session, event.order_id, lock=True)
    if shipment and cancel_applies(Status(shipment.status)):
        await ctx.session.execute(
            update(Shipment)
            .where(Shipment.shipment_id == shipment.shipment_id)
            .values(status=Status.CANCELLED.value, cancelled_at=event.cancelled_at, updated_at=func.now())
        )
