"""Shipment lifecycle: prepared -> shipped -> delivered; prepared -> cancelled.

A shipment is prepared once the order's finished goods are fully allocated, follows the
latest allocation state while it is still prepared, and is frozen once it leaves."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PREPARED = "prepared"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class AllocationAction(StrEnum):
    PREPARE = "prepare"  # no shipment yet: create one with these lines
    REPLACE = "replace"  # still prepared: its lines become the latest allocation state
    IGNORE = "ignore"


def on_allocation(current: Status | None, *, fully_allocated: bool, order_cancelled: bool) -> AllocationAction:
    """What an OrderAllocated does to the order's shipment (status `current`, None if none)."""
    if order_cancelled or not fully_allocated:
        # A partial allocation is not shippable (no partial shipments yet); a cancelled
        # order must not get a shipment back from a late event.
        return AllocationAction.IGNORE
    if current is None:
        return AllocationAction.PREPARE
    if current is Status.PREPARED:
        return AllocationAction.REPLACE
    return AllocationAction.IGNORE  # shipped/delivered/cancelled: what left is history


def ship_refusal(current: Status, carrier: str | None = None, tracking_no: str | None = None) -> str | None:
    """Why the shipment cannot be shipped now, or None if it can."""
    if current is Status.PREPARED:
        return None
    if current in (Status.SHIPPED, Status.DELIVERED):
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
