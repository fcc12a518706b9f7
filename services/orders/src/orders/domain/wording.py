"""The human wording of timeline entries ("reserved 12 kg of OIL for batch plan ...")."""

from __future__ import annotations

from decimal import Decimal

from contracts import events as ev


def qty(quantity: Decimal, unit: str) -> str:
    text = format(Decimal(quantity).normalize(), "f")
    return f"{text} {unit}"


def _covers(covers: list, order_id: str) -> str:
    mine = [f"line {c.line_no}" for c in covers if c.order_id == order_id]
    return f" (covers {', '.join(mine)})" if mine else ""


def describe(event: ev.Event, order_id: str) -> str:
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
                f"starts {event.planned_start}, ends {event.planned_end}{_covers(event.covers, order_id)}"
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
            return f"{text}; outstanding: {missing}" if missing else text
        case ev.Shipped():
            text = f"shipped via {event.carrier} {event.tracking_no}"
            return text if event.complete else f"{text} (partial shipment)"
        case ev.Delivered():
            return f"delivered (shipment {event.shipment_id})"
    return event.event_type
