"""Shipment lifecycle: prepared -> shipped -> delivered; prepared -> cancelled (withdrawn).
A prepared shipment that carries goods of a held lot (a quality hold or a recall) is shown
`blocked` and cannot ship until the hold ends or its lines change to other lots: blocked is
derived from the lots, not stored, so holds and releases arriving in any order converge.

An order gets its goods in one or more shipments. A shipment is prepared once what is
allocated may leave: the order is fully allocated, or inventory says the rest is
backordered (waits for a later batch) so the allocated part ships now. While prepared it
follows the latest (cumulative) allocation state; once it leaves it is frozen, and
allocations it carried never go into another shipment. Once the shipment that completed
the order has left, the order is done."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PREPARED = "prepared"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    # Shown, never stored: prepared, carrying a held lot.
    BLOCKED = "blocked"


LEFT = (Status.SHIPPED, Status.DELIVERED)


class AllocationAction(StrEnum):
    PREPARE = "prepare"  # no prepared shipment: a new one carries `carry`
    REPLACE = "replace"  # the prepared shipment's lines become `carry`
    IGNORE = "ignore"


@dataclass(frozen=True)
class AllocationDecision:
    action: AllocationAction
    carry: tuple[str, ...] = ()  # allocation ids, in the event's order


IGNORE = AllocationDecision(AllocationAction.IGNORE)


def on_allocation(
    shipments: Sequence[tuple[Status, Collection[str]]],
    allocation_ids: Sequence[str],
    *,
    shippable: bool,
    completes: bool,
    order_complete: bool,
    order_cancelled: bool,
    shipped_complete: bool = False,
) -> AllocationDecision:
    """What an OrderAllocated does to the order's shipments.

    shipments: (status, allocation ids) of the order's shipments so far.
    allocation_ids: the event's open allocations (inventory may still list allocations that
      already left when our Shipped has not reached it yet).
    shippable: fully allocated, or backordered (the allocated part may ship now).
    completes: the event says nothing is outstanding.
    order_complete: an earlier event already said so (allocation only grows until a
      cancellation, so a later incomplete state is a stale or replayed one).
    shipped_complete: a shipment that completed the order has left: the order is done.
    """
    if order_cancelled or shipped_complete or not shippable or (order_complete and not completes):
        return IGNORE
    left = {a for status, ids in shipments if status in LEFT for a in ids}
    carry = tuple(dict.fromkeys(a for a in allocation_ids if a not in left))
    if not carry:
        return IGNORE  # everything listed already left (replayed or late event)
    if any(status is Status.PREPARED for status, _ in shipments):
        return AllocationDecision(AllocationAction.REPLACE, carry)
    return AllocationDecision(AllocationAction.PREPARE, carry)


def next_seq(seqs: Collection[int]) -> int:
    """Shipments of an order are numbered 1, 2, ...: the number makes the id deterministic."""
    return max(seqs, default=0) + 1


def shown_status(stored: Status, holds: Collection[str]) -> Status:
    """What the operator sees: a prepared shipment with held lots (`holds`: why each is held) is blocked."""
    return Status.BLOCKED if stored is Status.PREPARED and holds else stored


def ship_refusal(
    current: Status, carrier: str | None = None, tracking_no: str | None = None, holds: Collection[str] = ()
) -> str | None:
    """Why the shipment cannot be shipped now, or None if it can."""
    if current is Status.PREPARED and holds:
        return "shipment is blocked: " + "; ".join(holds)
    if current is Status.PREPARED:
        return None
    if current in LEFT:
        return f"shipment already {current.value} with {carrier} (tracking {tracking_no})"
    return f"shipment is {current.value}"


def deliver_refusal(current: Status) -> str | None:
    if current is Status.SHIPPED:
        return None
    if current is Status.DELIVERED:
        return "shipment already delivered"
    return f"shipment is {current.value}, only a shipped shipment can be delivered"


def cancel_applies(current: Status | None) -> bool:
    """An order cancellation withdraws a shipment only before it left."""
    return current is Status.PREPARED
