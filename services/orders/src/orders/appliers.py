"""How each consumed event changes one order's facts. Each applier returns the status the
event implies (fed to the forward-only progress mark) or None (timeline only).

Appliers are idempotent by state: the same fact applied twice leaves the same rows (first
known estimate kept, allocations never shrink, started/complete flags stick)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal

from contracts import events as ev
from contracts.envelope import Envelope
from contracts.events.inventory import LineOutstanding
from contracts.units import IncompatibleUnits, convert
from eventkit import DomainRejection
from orders.domain.promise import reservation_estimate
from orders.domain.status import OrderStatus
from orders.order_rows import LineRow, OrderFacts, ShipmentRow

log = logging.getLogger("orders.appliers")

# The order's rows, read under its lock; an applier changes them in memory (record saves them).
Applier = Callable[[OrderFacts, Envelope, ev.Event], Awaitable[OrderStatus | None]]


def _line(facts: OrderFacts, line_no: int, event_type: str) -> LineRow:
    line = facts.lines.get(line_no)
    if line is None:
        # An order-keyed event naming a line the order does not have can never be applied.
        raise DomainRejection(f"{event_type}: order {facts.order.order_no} has no line {line_no}")
    return line


def _my_covers(facts: OrderFacts, event: ev.Event) -> list[int]:
    """Line numbers of this order that a batch covers; unknown lines are skipped with a log
    (the batch also covers other orders, so the whole message must not be rejected)."""
    order, lines = facts.order, facts.lines
    mine = sorted({c.line_no for c in event.covers if c.order_id == order.order_id})
    for line_no in [n for n in mine if n not in lines]:
        log.warning("%s %s covers line %d of order %s, which has no such line",
                    event.event_type, event.batch_no, line_no, order.order_no)
    return [n for n in mine if n in lines]


async def materials_reserved(facts: OrderFacts, env: Envelope, e: ev.Event) -> OrderStatus:
    assert isinstance(e, ev.MaterialsReserved)
    _line(facts, e.line_no, e.event_type)
    plan = facts.plan(e.line_no, e.plan_id)
    plan.quantity = plan.quantity or e.quantity_promised
    plan.unit = plan.unit or e.unit.value
    plan.ready_estimate = plan.ready_estimate or reservation_estimate(env.occurred_at.date(), e.lead_time_days)
    # The latest reservation of the line: one said after its shortage ends the wait.
    plan.reserved_at = max(plan.reserved_at or env.occurred_at, env.occurred_at)
    return OrderStatus.materials_reserved


async def materials_short(facts: OrderFacts, env: Envelope, e: ev.Event) -> OrderStatus:
    assert isinstance(e, ev.MaterialsShort)
    line = _line(facts, e.line_no, e.event_type)
    line.shortages = [sh.model_dump(mode="json") for sh in e.shortages]
    line.short_reason = e.reason or None
    # The newest shortage of the line wins (an older one redelivered late does not).
    if line.short_at is None or env.occurred_at >= line.short_at:
        line.short_at = env.occurred_at
        line.waiting_date = e.expected_date
        line.short_code = e.reason_code
    return OrderStatus.awaiting_materials


async def batch_scheduled(facts: OrderFacts, env: Envelope, e: ev.Event) -> OrderStatus | None:
    assert isinstance(e, ev.BatchScheduled)
    order_id = facts.order.order_id
    mine = _my_covers(facts, e)
    for line_no in mine:
        plan = facts.plan(line_no, e.batch_id)
        cover = sum((c.quantity for c in e.covers if c.order_id == order_id and c.line_no == line_no), Decimal(0))
        plan.batch_no = e.batch_no
        plan.quantity = plan.quantity or cover
        plan.unit = plan.unit or e.unit.value
        # A batch may be rescheduled: the newest schedule wins, an old one replayed late does not.
        if plan.schedule_seen_at is None or env.occurred_at >= plan.schedule_seen_at:
            plan.planned_end = e.planned_end
            plan.schedule_seen_at = env.occurred_at
    # Production schedules only what inventory reserved: the line's materials are reserved.
    return OrderStatus.materials_reserved if mine else None


async def batch_started(facts: OrderFacts, env: Envelope, e: ev.Event) -> OrderStatus | None:
    assert isinstance(e, ev.BatchStarted)
    mine = _my_covers(facts, e)
    for line_no in mine:
        plan = facts.plan(line_no, e.batch_id)
        plan.batch_no = e.batch_no
        plan.started_at = plan.started_at or e.started_at
    return OrderStatus.in_production if mine else None


async def batch_completed(facts: OrderFacts, env: Envelope, e: ev.Event) -> None:
    assert isinstance(e, ev.BatchCompleted)
    # Timeline only; the order moves on when inventory allocates the output.
    for line_no in _my_covers(facts, e):
        plan = facts.plans.get((line_no, e.batch_id))
        if plan is not None:
            plan.completed_at = plan.completed_at or e.completed_at
    return None


async def order_allocated(facts: OrderFacts, env: Envelope, e: ev.Event) -> OrderStatus:
    assert isinstance(e, ev.OrderAllocated)
    order = facts.order
    outstanding = {o.line_no: o for o in e.outstanding}
    by_line: dict[int, list] = {}
    for a in e.allocations:
        by_line.setdefault(a.line_no, []).append(a)
    for line_no, line in facts.lines.items():
        allocs = by_line.get(line_no, [])
        missing = outstanding.get(line_no)
        unit = line.allocated_unit or (allocs[0].unit.value if allocs else line.unit)
        # `allocations` lists only open (not yet shipped) allocations, `outstanding` the line
        # minus everything allocated so far: after a partial shipment of a backordered order
        # the line's total comes from the latter. Never shrinks (releases come with cancellation).
        open_total = sum((_in(a.quantity, a.unit.value, unit) for a in allocs), Decimal(0))
        total = max(open_total, _allocated_so_far(line, missing, unit))
        if total > 0:
            if total > line.allocated_quantity:
                line.allocated_at = max(line.allocated_at or env.occurred_at, env.occurred_at)
            line.allocated_quantity = max(line.allocated_quantity, total)
            line.allocated_unit = unit
        # A line not outstanding has everything allocated (perhaps shipped already).
        if e.fully_allocated or missing is None:
            if not line.fully_allocated:
                line.allocated_at = max(line.allocated_at or env.occurred_at, env.occurred_at)
            line.fully_allocated = True
    if e.fully_allocated:
        order.fully_allocated_on = order.fully_allocated_on or env.occurred_at.date()
        return OrderStatus.ready_to_ship
    # Partial (a backorder waits for a later batch when `backordered`): what is set aside may ship.
    return OrderStatus.allocated


def _allocated_so_far(line: LineRow, missing: LineOutstanding | None, unit: str) -> Decimal:
    """Ordered minus outstanding, in `unit`; 0 when the units cannot be compared."""
    try:
        left = convert(missing.quantity, missing.unit.value, line.unit) if missing else Decimal(0)
        return convert(max(line.quantity - left, Decimal(0)), line.unit, unit)
    except IncompatibleUnits:
        return Decimal(0)


def _in(quantity: Decimal, unit: str, target: str) -> Decimal:
    try:
        return convert(quantity, unit, target)
    except IncompatibleUnits as exc:
        raise DomainRejection(f"OrderAllocated: allocations of one line in {unit} and {target}") from exc


async def shipped(facts: OrderFacts, env: Envelope, e: ev.Event) -> OrderStatus:
    assert isinstance(e, ev.Shipped)
    # Kept as first recorded: a shipment already known stays as it is.
    facts.add_shipment(ShipmentRow(order_id=facts.order.order_id, shipment_id=e.shipment_id, carrier=e.carrier,
                                   tracking_no=e.tracking_no, complete=e.complete, shipped_at=e.shipped_at))
    return OrderStatus.shipped if e.complete else OrderStatus.partially_shipped


async def delivered(facts: OrderFacts, env: Envelope, e: ev.Event) -> OrderStatus | None:
    assert isinstance(e, ev.Delivered)
    complete = await facts.deliver_shipment(e.shipment_id, e.delivered_at)
    if complete is None:
        # Delivered before its Shipped reached us: the goods are evidently with the customer.
        return OrderStatus.delivered
    # The delivery of a partial shipment does not deliver the order.
    return OrderStatus.delivered if complete else None


APPLIERS: dict[type[ev.Event], Applier] = {
    ev.MaterialsReserved: materials_reserved,
    ev.MaterialsShort: materials_short,
    ev.BatchScheduled: batch_scheduled,
    ev.BatchStarted: batch_started,
    ev.BatchCompleted: batch_completed,
    ev.OrderAllocated: order_allocated,
    ev.Shipped: shipped,
    ev.Delivered: delivered,
}
