"""How the other services' undo steps after a cancellation change one order's facts (same
shape as appliers.py). They never move the status: the order is already cancelled here
(orders raised OrderCancelled); they leave a timeline entry saying what was undone."""

from __future__ import annotations

from contracts import events as ev
from contracts.envelope import Envelope
from orders.appliers import Applier, _my_covers
from orders.domain.status import OrderStatus
from orders.order_rows import OrderFacts


async def stock_released(facts: OrderFacts, env: Envelope, e: ev.Event) -> None:
    # Inventory let go of allocations and promises; the wording lists them. The line facts
    # are kept as history: a cancelled order shows its lines as cancelled anyway.
    assert isinstance(e, ev.StockReleased)
    return None


async def shipment_withdrawn(facts: OrderFacts, env: Envelope, e: ev.Event) -> None:
    assert isinstance(e, ev.ShipmentWithdrawn)
    return None


async def batch_cancelled(facts: OrderFacts, env: Envelope, e: ev.Event) -> OrderStatus | None:
    """The plan no longer makes the line nor counts for the promise. Sticky: a schedule
    of the batch arriving late does not bring it back."""
    assert isinstance(e, ev.BatchCancelled)
    for line_no in _my_covers(facts, e):
        plan = facts.plan(line_no, e.batch_id)
        plan.batch_no = plan.batch_no or e.batch_no
        plan.cancelled_at = plan.cancelled_at or e.cancelled_at
    return None


UNDO_APPLIERS: dict[type[ev.Event], Applier] = {
    ev.StockReleased: stock_released,
    ev.ShipmentWithdrawn: shipment_withdrawn,
    ev.BatchCancelled: batch_cancelled,
}
