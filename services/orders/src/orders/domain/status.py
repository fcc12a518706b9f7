"""Order status: a rank that only moves forward, except that "awaiting materials" is per
line and holds the order back until every line is covered.

The stored `progress` is the high-water mark of what events said (Shipped, OrderAllocated...).
The status shown is derived from it, from the lines and from whether the order was cancelled,
so whatever order events arrive in, the same facts give the same status, and a late or
replayed event never lowers it.

Cancellation is a separate fact, not a rank: progress keeps moving underneath it (saga events
still arrive while the other services undo their work), the order shows `cancelled`, except
when goods left anyway (a parcel shipped before shipping saw the cancel): that is physical
reality and the shipment status wins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from contracts.units import IncompatibleUnits, convert


class OrderStatus(StrEnum):
    received = "received"
    awaiting_materials = "awaiting_materials"
    materials_reserved = "materials_reserved"
    in_production = "in_production"
    allocated = "allocated"
    ready_to_ship = "ready_to_ship"
    partially_shipped = "partially_shipped"
    shipped = "shipped"
    delivered = "delivered"
    cancelled = "cancelled"


_RANK = {s: i for i, s in enumerate(OrderStatus)}  # declaration order is the rank


def rank(status: OrderStatus | str) -> int:
    return _RANK[OrderStatus(status)]


def advance(current: OrderStatus | str, implied: OrderStatus | str) -> OrderStatus:
    """The new high-water mark: the later of the two. Cancellation is not stored here (see
    derive_status); a `cancelled` mark, should one exist, stays terminal."""
    current, implied = OrderStatus(current), OrderStatus(implied)
    if current is OrderStatus.cancelled:
        return current
    return implied if rank(implied) > rank(current) else current


class LineState(StrEnum):
    """What is known about one line; the most advanced fact wins, except an open shortage."""

    received = "received"
    awaiting_materials = "awaiting_materials"
    materials_reserved = "materials_reserved"
    in_production = "in_production"
    partially_allocated = "partially_allocated"
    allocated = "allocated"
    cancelled = "cancelled"  # the order was cancelled (and nothing shipped)


Qty = tuple[Decimal | None, str | None]  # (quantity, unit); None: not known (yet)


@dataclass(frozen=True)
class LineFacts:
    quantity: Decimal = Decimal(1)
    unit: str = "pcs"
    short: bool = False  # a MaterialsShort was received for the line
    plans: tuple[Qty, ...] = ()  # what planned batches promise to the line
    started: bool = False  # one of its batches started
    allocated: Qty | None = None  # finished goods set aside so far
    fully_allocated: bool = False  # nothing outstanding any more (sticky)

    def covered(self) -> bool:
        """Do plans and allocations together cover the whole line? Quantities in another
        dimension than the line's (kg promised for a line in L), or not known yet, cannot be
        compared: a plan then counts as covering, since inventory promises whole lines when
        it can."""
        if self.fully_allocated:
            return True
        parts = [*self.plans, *([self.allocated] if self.allocated else [])]
        total = Decimal(0)
        for qty, unit in parts:
            if qty is None or unit is None:
                return True  # a batch makes the line, how much is not known yet
            try:
                total += convert(qty, unit, self.unit)
            except IncompatibleUnits:
                return True
        return total >= self.quantity


def line_state(f: LineFacts) -> LineState:
    if f.fully_allocated:
        return LineState.allocated
    # A shortage holds the line until plans/allocations cover all of it (a line can be
    # partly allocated or promised and short for the rest).
    if f.short and not f.covered():
        return LineState.awaiting_materials
    if f.started:
        return LineState.in_production
    if f.plans:
        return LineState.materials_reserved
    if f.allocated:
        return LineState.partially_allocated
    return LineState.received


def goods_left(progress: OrderStatus | str) -> bool:
    """Has anything of the order shipped (partially_shipped, shipped, delivered)?"""
    progress = OrderStatus(progress)
    return progress is not OrderStatus.cancelled and rank(progress) >= rank(OrderStatus.partially_shipped)


def derive_status(progress: OrderStatus | str, lines: Iterable[LineFacts], cancelled: bool = False) -> OrderStatus:
    """The status to show. Shipment facts win over everything (goods left, even after a
    cancellation was requested); then a cancellation; then a line still awaiting materials
    holds the order at awaiting_materials until it is covered."""
    progress = OrderStatus(progress)
    if goods_left(progress):
        return progress
    if cancelled or progress is OrderStatus.cancelled:
        return OrderStatus.cancelled
    if any(line_state(f) is LineState.awaiting_materials for f in lines):
        return OrderStatus.awaiting_materials
    return progress
