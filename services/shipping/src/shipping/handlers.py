"""Event handlers. Each runs in the transaction that also records the event in the inbox;
each is idempotent by state, since the same fact may arrive twice under different event
ids, and OrderPlaced / OrderAllocated / OrderCancelled travel on different topics and
arrive in any order."""

from __future__ import annotations

from sqlalchemy import func, update

from contracts.events import OrderAllocated, OrderCancelled, OrderPlaced, PromiseChanged, ShipmentWithdrawn
from eventkit import Context, DomainRejection
from shipping import confirmations
from shipping import labels
from shipping import order_rows
from shipping import repository as repo
from shipping.domain.address import ship_to_line
from shipping.domain.notification import tells_customer
from shipping.domain.shipment import LEFT, AllocationAction, Status, cancel_applies, next_seq, on_allocation
from shipping.settings import Settings
from shipping.tables import OrderRecord, Shipment

DEFAULT_CONFIRMATION_WAIT: float = Settings.model_fields["confirmation_wait"].default


async def on_order_placed(ctx: Context, event: OrderPlaced, confirmation_wait: float = DEFAULT_CONFIRMATION_WAIT) -> None:
    """Keep the recipient; a mail that waited for it can now be mailed. The parcel goes to
    the shop's ship-to when there is one (a gift: the recipient, not the buyer); e-mails go
    to the buyer, who placed the order, in the shop's language. The order confirmation is
    queued once (`confirmations`)."""
    c = event.customer
    to = event.details.ship_to if event.details and event.details.ship_to else None
    recipient = dict(
        order_no=event.order_no, recipient_name=c.name, recipient_email=c.email, recipient_address=c.address,
        recipient_phone=c.phone, recipient_country=c.country,
        language=event.details.language if event.details else None,
        lines=[{"sku": li.sku, "quantity": str(li.quantity), "unit": li.unit.value} for li in event.lines],
    )
    if to is not None and (to.address1 or to.city):
        # recipient_name greets the buyer in e-mails; the parcel's addressee leads the address.
        recipient.update(
            recipient_address=ship_to_line(to), recipient_phone=to.phone or c.phone,
            recipient_country=to.country or c.country,
        )
    # Locked from here on: PromiseChanged's handler writes the date into the confirmation under this lock.
    # The ship-to as fields too, for a carrier's label (same statement).
    order = await order_rows.keep_recipient(ctx.session, event.order_id, recipient, labels.ship_to_fields(event))
    if not order.recipient_email:
        return  # nobody to write to: the mails keep waiting
    waiting = await confirmations.confirm(ctx.session, order, confirmation_wait)
    await repo.release_waiting_notifications(ctx.session, order, waiting)


async def on_order_allocated(ctx: Context, event: OrderAllocated) -> None:
    """What may leave gets a prepared shipment: everything once the order is fully
    allocated, the allocated part when the rest is backordered. Allocations that already
    left are never shipped again; a still-prepared shipment follows the latest state."""
    completes = event.fully_allocated and not event.outstanding
    order, shipments = await order_rows.keep_allocation_state(ctx.session, event.order_id, completes)
    if event.fully_allocated and not event.allocations and not any(s.status in LEFT for s in shipments):
        raise DomainRejection(f"order {event.order_id} is fully allocated but lists no allocations")
    decision = on_allocation(
        [(s.status, [li.allocation_id for li in s.lines]) for s in shipments],
        [a.allocation_id for a in event.allocations],
        shippable=event.fully_allocated or event.backordered,
        completes=completes,
        order_complete=order.allocation_complete,
        order_cancelled=order.cancelled_at is not None,
        shipped_complete=any(s.status in LEFT and s.complete for s in shipments),
    )
    by_id = {a.allocation_id: a for a in event.allocations}
    carried = [by_id[a] for a in decision.carry]
    if decision.action is AllocationAction.PREPARE:
        seq = next_seq([s.seq for s in shipments])
        await order_rows.prepare(ctx.session, repo.shipment_id_for(event.order_id, seq), event.order_id, seq, carried)
    elif decision.action is AllocationAction.REPLACE:
        (shipment,) = [s for s in shipments if s.status is Status.PREPARED]
        await order_rows.replace_lines(ctx.session, shipment, carried)


async def on_order_cancelled(ctx: Context, event: OrderCancelled) -> None:
    """Remember the cancellation (a late OrderAllocated must not prepare a shipment) and
    withdraw the shipment that has not left yet, telling orders with ShipmentWithdrawn
    (once: a second OrderCancelled finds nothing prepared). What left stays shipped;
    orders learns that from Shipped."""
    order = await repo.lock_order(ctx.session, event.order_id)
    if order.cancelled_at is None:
        await ctx.session.execute(
            update(OrderRecord).where(OrderRecord.order_id == event.order_id)
            .values(cancelled_at=event.cancelled_at, updated_at=func.now())
        )
    reason = f"order cancelled: {event.reason}" if event.reason else "order cancelled"
    for shipment in await repo.shipments_of(ctx.session, event.order_id, lock=True):
        if not cancel_applies(Status(shipment.status)):
            continue
        at = repo.now()
        await ctx.session.execute(
            update(Shipment)
            .where(Shipment.shipment_id == shipment.shipment_id)
            .values(status=Status.CANCELLED.value, cancelled_at=at, updated_at=func.now())
        )
        await ctx.emit(
            ShipmentWithdrawn(order_id=event.order_id, shipment_id=str(shipment.shipment_id), reason=reason, withdrawn_at=at)
        )


async def on_promise_changed(ctx: Context, event: PromiseChanged) -> None:
    """The order's expected date moved. The first date known goes into the confirmation (or
    its own mail when the confirmation left without it); the customer is told once per later
    date past the promise (none when it moves earlier or stays within it, none for a
    cancelled order). The row lock on the order serializes this with OrderPlaced."""
    order, first_date = await order_rows.keep_dates(
        ctx.session, event.order_id, event.promised_date, event.expected_date)
    if first_date:
        await confirmations.dated(ctx.session, order, event.promised_date)
    if order.cancelled_at is not None:
        return
    if not tells_customer(event.promised_date, event.expected_date, event.previous_expected_date):
        return
    # Unknown recipient (PromiseChanged overtook OrderPlaced): the mail waits for it.
    await repo.add_delay_notification(ctx.session, order, event.order_id, event.promised_date, event.expected_date)
