"""The human wording of timeline entries ("reserved 12 kg of OIL for batch plan ...")."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from contracts import events as ev


def qty(quantity: Decimal, unit: str) -> str:
    text = format(Decimal(quantity).normalize(), "f")
    return f"{text} {unit}"


def _covers(covers: list, order_id: str, *, shared: bool = False) -> str:
    """" (covers line 1)"; `shared`: also how many other orders the batch serves, so that a
    batch scheduled again because another order joined it does not read like a repeat."""
    mine = [f"line {c.line_no}" for c in covers if c.order_id == order_id]
    if not mine:
        return ""
    others = len({c.order_id for c in covers if c.order_id != order_id})
    also = f"; shared with {others} other order{'' if others == 1 else 's'}" if shared and others else ""
    return f" (covers {', '.join(mine)}{also})"


def _backordered(outstanding: list) -> str:
    """"4 pcs" or "4 pcs, 2 kg": what waits for a later batch, summed per unit."""
    per_unit: dict[str, Decimal] = {}
    for o in outstanding:
        per_unit[o.unit.value] = per_unit.get(o.unit.value, Decimal(0)) + o.quantity
    return ", ".join(qty(q, u) for u, q in per_unit.items())


def _released(event: ev.StockReleased, plan_units: Mapping[str, str | None],
              plan_batches: Mapping[str, str | None]) -> str:
    parts = [f"released {qty(a.quantity, a.unit)} of lot {a.lot_no} (line {a.line_no})" for a in event.allocations]
    for p in event.promises:
        unit = plan_units.get(p.plan_id)
        amount = qty(p.quantity, unit) if unit else format(p.quantity.normalize(), "f")
        batch_no = plan_batches.get(p.plan_id)
        source = f"batch {batch_no}" if batch_no else f"batch plan {p.plan_id}"
        parts.append(f"released the promise of {amount} from {source} (line {p.line_no})")
    text = "; ".join(parts) if parts else "nothing was set aside; nothing released"
    return f"{text}: {event.reason}" if event.reason else text


def describe(event: ev.Event, order_id: str, *, cancelled: bool = False,
             plan_units: Mapping[str, str | None] | None = None,
             plan_batches: Mapping[str, str | None] | None = None) -> str:
    """`cancelled`: the order's cancellation was requested before this event was recorded.
    `plan_units`: unit of each batch plan of the order (promises travel without one);
    `plan_batches`: the batch number production gave each plan, once known (people name
    batches by number, the plan id is what the promise carries)."""
    match event:
        case ev.OrderPlaced():
            lines = ", ".join(f"{qty(line.quantity, line.unit)} {line.sku}" for line in event.lines)
            return f"order {event.order_no} placed via {event.channel}: {lines}"
        case ev.ChannelOrderReceived():
            return f"received from {event.channel} shop {event.shop} as {event.external_order_id}"
        case ev.MaterialsReserved():
            what = f"line {event.line_no}: {qty(event.quantity_promised, event.unit)} {event.sku}"
            if not event.reservations:
                return f"{what} promised from the surplus of batch plan {event.plan_id}"
            mats = ", ".join(f"{qty(r.quantity, r.unit)} of {r.sku} (lot {r.lot_no})" for r in event.reservations)
            return f"reserved {mats} for batch plan {event.plan_id}; {what}, lead time {event.lead_time_days} days"
        case ev.MaterialsShort():
            what = f"line {event.line_no} ({qty(event.quantity, event.unit)} {event.sku}) awaiting materials"
            if event.reason:
                return f"{what}: {event.reason}"
            short = ", ".join(
                f"{qty(s.missing, s.unit)} of {s.material_sku} missing (need {qty(s.required, s.unit)}, "
                f"have {qty(s.available, s.unit)})"
                for s in event.shortages
            )
            return f"{what}: {short}" if short else what
        case ev.BatchScheduled():
            return (
                f"batch {event.batch_no} scheduled, {qty(event.planned_quantity, event.unit)} {event.sku}, "
                f"starts {event.planned_start}, ends {event.planned_end}{_covers(event.covers, order_id, shared=True)}"
            )
        case ev.BatchStarted():
            return f"batch {event.batch_no} ({event.sku}) started{_covers(event.covers, order_id)}"
        case ev.BatchCompleted():
            return (
                f"batch {event.batch_no} completed: {qty(event.output_quantity, event.unit)} {event.sku} made, "
                f"{qty(event.waste_quantity, event.unit)} waste{_covers(event.covers, order_id)}"
            )
        case ev.OrderAllocated():
            lots = ", ".join(f"{qty(a.quantity, a.unit)} from lot {a.lot_no}" for a in event.allocations)
            text = f"allocated {lots}" if lots else "nothing allocated"
            if event.fully_allocated:
                return f"{text}; fully allocated"
            missing = ", ".join(f"line {o.line_no} {qty(o.quantity, o.unit)} {o.sku}" for o in event.outstanding)
            if event.backordered and event.outstanding:
                return f"{text}; partially allocated; {_backordered(event.outstanding)} backordered ({missing})"
            return f"{text}; outstanding: {missing}" if missing else text
        case ev.Shipped():
            text = f"shipped via {event.carrier} {event.tracking_no}"
            text = text if event.complete else f"{text} (partial shipment)"
            return f"{text}; shipped although cancellation was requested" if cancelled else text
        case ev.Delivered():
            return f"delivered (shipment {event.shipment_id})"
        case ev.OrderCancelled():
            return f"order cancelled: {event.reason}" if event.reason else "order cancelled"
        case ev.StockReleased():
            return _released(event, plan_units or {}, plan_batches or {})
        case ev.LotHeld():
            recall = f" (recall {event.recall_id})" if event.recall_id else ""
            return f"lot {event.lot_no} ({event.sku}) put on hold{recall}: {event.reason}; its goods for this order wait"
        case ev.LotReleased():
            text = f"hold on lot {event.lot_no} ({event.sku}) ended"
            return f"{text}: {event.reason}" if event.reason else text
        case ev.RecallOpened():
            goods = [g for c in event.customers if c.order_id == order_id for g in c.goods]
            what = ", ".join(f"{qty(g.quantity, g.unit)} {g.sku} (lot {g.lot_no})" for g in goods) or "goods"
            return f"recall {event.recall_id} of lot {event.lot_no}: {event.reason}; the customer received {what} and is told by e-mail"
        case ev.ShipmentWithdrawn():
            text = f"shipment withdrawn ({event.shipment_id})"
            return f"{text}: {event.reason}" if event.reason else text
        case ev.BatchCancelled():
            text = f"batch {event.batch_no} ({event.sku}) cancelled{_covers(event.covers, order_id)}"
            return f"{text}: {event.reason}" if event.reason else text
    return event.event_type


def cause_of(event: ev.Event) -> str:
    """What moved the date, in a few words: the event's own entry, just above on the timeline,
    says the rest (repeating it whole made the date's entry the longest of all)."""
    match event:
        case ev.BatchScheduled():
            return f"batch {event.batch_no} scheduled to end {event.planned_end}"
        case ev.BatchStarted() | ev.BatchCompleted() | ev.BatchCancelled():
            return f"batch {event.batch_no} {_BATCH_STEP[event.event_type]}"
        case ev.MaterialsReserved():
            return f"materials reserved for line {event.line_no}"
        case ev.MaterialsShort():
            return f"line {event.line_no} awaiting materials"
        case ev.OrderAllocated():
            return "goods allocated" if event.fully_allocated else "goods partly allocated"
        case ev.Shipped():
            return "partial shipment" if not event.complete else "shipped"
    return _CAUSES.get(event.event_type, event.event_type)


_BATCH_STEP = {"BatchStarted": "started", "BatchCompleted": "completed", "BatchCancelled": "cancelled"}
_CAUSES = {"OrderPlaced": "order placed", "StockReleased": "stock released", "LotHeld": "a lot put on hold",
           "LotReleased": "a hold ended", "ShipmentWithdrawn": "shipment withdrawn"}


def describe_move(previous, expected, cause: str) -> str:
    """The timeline's words for a moved expected date (PromiseChanged); `cause`: `cause_of`
    the event that moved it."""
    after = expected.isoformat() if expected else "no date (it cannot be dated now)"
    if previous is None:
        return f"dated: expected {after} ({cause})"
    return f"expected date moved from {previous.isoformat()} to {after}: {cause}"
