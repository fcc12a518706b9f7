"""Holds and recalls (inventory owns both) on the orders they touch: a timeline entry saying
why, nothing else. The status does not move: goods on hold stay allocated (they wait), and a
recall concerns goods that already left. LotHeld / LotReleased name the orders with goods
set aside in the lot; RecallOpened names the customers who received recalled goods."""

from __future__ import annotations

from contracts import events as ev
from contracts.envelope import Envelope
from orders.appliers import Applier
from orders.order_rows import OrderFacts


async def timeline_only(facts: OrderFacts, env: Envelope, e: ev.Event) -> None:
    return None


HOLD_APPLIERS: dict[type[ev.Event], Applier] = {
    ev.LotHeld: timeline_only,
    ev.LotReleased: timeline_only,
    ev.RecallOpened: timeline_only,
}


def orders_of(event: ev.LotHeld | ev.LotReleased | ev.RecallOpened) -> list[str]:
    if isinstance(event, ev.RecallOpened):
        return sorted({c.order_id for c in event.customers})
    return sorted(set(event.orders))
