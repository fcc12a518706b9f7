"""Recording what other services say about an order: one entry point, `record`, used by
every event handler and by the replay of parked events.

Per order, under the order's row lock: skip what was already recorded (same event id; the
same one-time happening, such as a shipment, re-emitted under a new id; or a statement equal
to the one of its kind in force at its time, such as the line's supply: a shortage A, then B,
then A again is three facts, A twice in a row is one), apply the fact to the lines/plans/shipments,
raise the progress mark, derive the status and the promised date again, and add one
timeline entry. An event about an order not known here is parked whole and replayed when
the order is created (an advisory lock on the order id closes the race between the two)."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.events import Event, PromiseChanged
from eventkit import Context
from contracts.topics import parse_body
from orders.appliers import APPLIERS as SAGA_APPLIERS
from orders.domain.numbers import fact_hash as fact_of, fact_kind, happens_once
from orders.domain.promise import LineDating, Unknown, expected_date, plan_ready, waits
from orders.domain.status import LineFacts, OrderStatus, advance, derive_status, goods_left
from orders.domain.wording import cause_of, describe, describe_move
from orders.holds import HOLD_APPLIERS
from orders.order_rows import OrderFacts, OrderRow, lock_facts, locked_facts_query
from orders.undoing import UNDO_APPLIERS

APPLIERS = {**SAGA_APPLIERS, **UNDO_APPLIERS, **HOLD_APPLIERS}
# Early events that are requests rather than facts: parked the same way, run by placement.
PARKED_COMMANDS = {"ChannelOrderCancelled"}

log = logging.getLogger("orders.facts")

_ID_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('orders:' || :order_id))")
_SAME_ID = "EXISTS (SELECT 1 FROM timeline WHERE order_id = :order_id AND event_id = :event_id)"
# Already on the timeline: the same event id, or the same one-time happening under another id.
_HAPPENED = (f"({_SAME_ID} OR EXISTS (SELECT 1 FROM timeline WHERE order_id = :order_id "
             "AND event_type = :event_type AND fact_hash = :fact_hash))")
# Already on the timeline: the same event id, or the same statement as the one of its kind in
# force when this one says it was made (by its producer's clock: one producer per kind): an old
# statement redelivered under a new id after a newer one is compared with itself, not with the
# newer one.
_SAID = (f"({_SAME_ID} OR COALESCE((SELECT event_type = :event_type AND fact_hash = :fact_hash FROM timeline "
         "WHERE order_id = :order_id AND fact_kind = :fact_kind AND at <= :at ORDER BY at DESC, id DESC LIMIT 1), false))")
_SEEN = {True: text(f"SELECT {_HAPPENED}"), False: text(f"SELECT {_SAID}")}
# The same check answered with the order's row lock, lines and plans (one round trip for an event).
_FACTS_UNLESS_SEEN = {True: locked_facts_query(_HAPPENED), False: locked_facts_query(_SAID)}
# JSONB as the ORM wrote it (json.dumps). A redelivered early event stays parked once.
_PARK = text(
    "INSERT INTO parked_events (order_id, event_id, event_type, occurred_at, envelope) "
    "VALUES (:order_id, :event_id, :event_type, :occurred_at, CAST(:envelope AS jsonb)) ON CONFLICT DO NOTHING"
)
_PARKED = text("SELECT envelope FROM parked_events WHERE order_id = :order_id ORDER BY occurred_at")
_UNPARK = text("DELETE FROM parked_events WHERE order_id = :order_id")


async def lock_order_id(session: AsyncSession, order_id: str) -> None:
    """Serialises creating an order with parking events about it (see module doc)."""
    await session.execute(_ID_LOCK, {"order_id": order_id})


async def record(ctx: Context, envelope: Envelope, event: Event, order_id: str, handling_days: int) -> bool:
    """Apply one event to one order. False when there was nothing to do (duplicate or parked).
    When the order's expected date moved, PromiseChanged goes out in the same transaction."""
    session = ctx.session
    digest, kind = fact_of(envelope.event_type, envelope.data), fact_kind(envelope.event_type, envelope.data)
    once, params = _seen_params(order_id, envelope, digest, kind)
    read = await lock_facts(session, order_id, _FACTS_UNLESS_SEEN[once], params)
    if read is None:
        await lock_order_id(session, order_id)
        read = await lock_facts(session, order_id, _FACTS_UNLESS_SEEN[once], params)
        if read is None:
            await park(session, order_id, envelope)
            return False
    already, facts = read
    order = facts.order
    if already is None:  # an order without lines, read again after waiting for its lock: no row carried the answer
        already = await seen(session, order_id, envelope, digest, kind)
    elif already:
        _log_seen(envelope, order_id)
    if already:
        return False
    implied = await APPLIERS[type(event)](facts, envelope, event)
    if implied is not None:
        order.progress = advance(order.progress, implied).value
    previous = order.expected_date
    refresh(facts, handling_days)
    # After a cancellation events still leave their trace (status after: cancelled), and
    # the timeline says so when goods left anyway.
    detail = describe(event, order_id, cancelled=order.cancelled_at is not None,
                      plan_units={p.plan_id: p.unit for p in facts.plans.values()},
                      plan_batches={p.plan_id: p.batch_no for p in facts.plans.values()})
    facts.add_timeline(timeline_entry(order, envelope, detail, digest, kind))
    # Once goods left, the customer has them (or a tracking number): no date to announce.
    if order.expected_date != previous and order.cancelled_at is None and not goods_left(order.progress):
        await _promise_changed(ctx, facts, previous, detail, cause_of(event))
    await facts.save()
    return True


async def _promise_changed(ctx: Context, facts: OrderFacts, previous: date | None, detail: str, cause: str) -> None:
    """`detail`: the moving event's timeline words (the event's `reason`, whole, for those
    reading the topic); `cause`: the same in a few words, for the date's own timeline entry."""
    order = facts.order
    changed = PromiseChanged(
        order_id=order.order_id, order_no=order.order_no, promised_date=order.promised_date,
        expected_date=order.expected_date, previous_expected_date=previous, reason=detail,
    )
    envelope = await ctx.emit(changed, correlation_id=order.order_id)
    facts.add_timeline(timeline_entry(order, envelope, describe_move(previous, order.expected_date, cause)))


async def seen(session: AsyncSession, order_id: str, envelope: Envelope,
               digest: str | None = None, kind: str | None = None) -> bool:
    """This event is on the order's timeline already: the same id; or, under another id, the
    same one-time happening anywhere in its history, or the same statement as the one of its
    kind in force at its time (an identical statement after a different one is news: the state
    went back). One statement (`record` asks it together with reading the order's facts)."""
    once, params = _seen_params(order_id, envelope, digest, kind)
    if not (await session.execute(_SEEN[once], params)).scalar():
        return False
    _log_seen(envelope, order_id)
    return True


def _seen_params(order_id: str, envelope: Envelope, digest: str | None,
                 kind: str | None) -> tuple[bool, dict[str, Any]]:
    """Which check applies (a one-time happening or a statement) and its parameters."""
    event_type = envelope.event_type
    params = {"order_id": order_id, "event_id": envelope.event_id, "event_type": event_type,
              "fact_hash": digest or fact_of(event_type, envelope.data)}
    if happens_once(event_type):
        return True, params
    params["fact_kind"] = kind or fact_kind(event_type, envelope.data)
    params["at"] = envelope.occurred_at
    return False, params


def _log_seen(envelope: Envelope, order_id: str) -> None:
    log.info("%s %s for order %s: already recorded", envelope.event_type, envelope.event_id, order_id)


def timeline_entry(order: OrderRow, envelope: Envelope, detail: str, digest: str | None = None,
                   kind: str | None = None) -> dict[str, Any]:
    """One timeline row: what happened (the envelope) and the order's status after it."""
    return {
        "order_id": order.order_id,
        "at": envelope.occurred_at,
        "status": order.status,
        "event_type": envelope.event_type,
        "event_id": envelope.event_id,
        "producer": envelope.producer,
        "detail": detail,
        "fact_hash": digest or fact_of(envelope.event_type, envelope.data),
        "fact_kind": kind or fact_kind(envelope.event_type, envelope.data),
    }


def refresh(facts: OrderFacts, handling_days: int) -> None:
    """Derive status and promised date from the facts in hand (no statement)."""
    order, lines = facts.order, facts.lines.values()
    plans = {line.line_no: facts.plans_of(line.line_no) for line in lines}
    status = derive_status(order.progress, [line_facts(line, plans[line.line_no]) for line in lines],
                           cancelled=order.cancelled_at is not None)
    order.status = status.value
    order.updated_at = datetime.now(timezone.utc)
    # A cancelled order expects nothing (the promise stays as the record of what was told);
    # cancelled batches make nothing.
    if status is OrderStatus.cancelled:
        order.expected_date = None
        return
    expected = expected_date(
        handling_days=handling_days, fully_allocated_on=order.fully_allocated_on,
        lines=[line_dating(line, plans[line.line_no]) for line in lines],
    )
    if expected is Unknown.NOT_YET:
        return  # news of some line still in flight: the date stays as it was
    order.expected_date = None if expected is Unknown.UNDATABLE else expected
    # The promise is the first date known after placement, and is never overwritten.
    order.promised_date = order.promised_date or order.expected_date


def line_dating(line: Any, plans: list[Any]) -> LineDating:
    """`line`/`plans`: table models or order_rows' rows (same attribute names)."""
    live = [p for p in plans if p.cancelled_at is None]
    parts = [plan_ready(p.planned_end, p.ready_estimate) for p in live if p.completed_at is None]
    # A partial allocation (the rest backordered) does not end a wait: only a new plan for
    # the line or everything allocated does.
    waiting = waits(line.short_at, [p.reserved_at for p in live], line.fully_allocated)
    # The part in hand dates the line only beside a date for the rest (an open plan, a dated
    # wait): alone it would date the whole line today, a promise the rest then breaks (the
    # allocation from stock arrives before the reservation or shortage of the remainder).
    if line.allocated_quantity > 0 and line.allocated_at is not None and (parts or waiting):
        parts.append(line.allocated_at.date())
    return LineDating(
        fully_allocated_on=line.allocated_at.date() if line.fully_allocated and line.allocated_at else None,
        waiting=waiting,
        waiting_date=line.waiting_date,
        parts=tuple(d for d in parts if d is not None),
    )


def line_facts(line: Any, plans: list[Any]) -> LineFacts:
    return LineFacts(
        quantity=line.quantity,
        unit=line.unit,
        short=line.shortages is not None,
        plans=tuple((p.quantity, p.unit) for p in plans if p.cancelled_at is None),
        started=any(p.started_at is not None for p in plans),
        allocated=(line.allocated_quantity, line.allocated_unit) if line.allocated_quantity > 0 else None,
        fully_allocated=line.fully_allocated,
    )


async def park(session: AsyncSession, order_id: str, envelope: Envelope) -> None:
    log.info("%s %s is about order %s, not known here yet: parked until it is placed",
             envelope.event_type, envelope.event_id, order_id)
    await session.execute(_PARK, {
        "order_id": order_id,
        "event_id": envelope.event_id,
        "event_type": envelope.event_type,
        "occurred_at": envelope.occurred_at,
        "envelope": json.dumps(envelope.model_dump(mode="json")),
    })


async def replay_parked(ctx: Context, order_id: str, handling_days: int) -> list[Envelope]:
    """Apply, oldest first, the facts that arrived about the order before it existed here.
    Returns the parked commands (a shop's cancellation) for the caller to run: they emit
    events of their own, which a fact never does."""
    session = ctx.session
    parked = [row.envelope for row in await session.execute(_PARKED, {"order_id": order_id})]
    if not parked:
        return []  # the usual case: nothing arrived early (and no DELETE round trip for it)
    commands = []
    for body in parked:
        envelope = Envelope.model_validate(body)
        if envelope.event_type in PARKED_COMMANDS:
            commands.append(envelope)
        else:
            await record(ctx, envelope, parse_body(envelope), order_id, handling_days)
    await session.execute(_UNPARK, {"order_id": order_id})
    return commands
