"""One order's rows as an event handler sees them: read under the order's row lock, changed
in memory by the appliers, written back (only the rows that changed) in the same transaction.

Every event the saga sends orders goes through here, so these are Core statements built
once, with bound parameters and only the columns the facts need: the ORM's statement
building, identity map and unit-of-work flushes cost several times the CPU of the work
itself on this path. The one-order view (`queries.get_order`) reads lines and plans here too;
the order lists and the stuck list keep the ORM models of `tables.py`. The attribute names
are the table models' own, so the domain functions (`line_facts`, `line_dating`) take either."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class _Row:
    """A row read from (or to be added to) one table; `changed()` tells whether to write it."""

    COLUMNS: ClassVar[tuple[str, ...]]
    _loaded: tuple | None

    @classmethod
    def from_row(cls, row: Any) -> Any:
        obj = cls(*row)
        obj._loaded = tuple(row)
        return obj

    def values(self) -> tuple:
        return tuple(getattr(self, c) for c in self.COLUMNS)

    def changed(self) -> bool:
        return self._loaded is None or self.values() != self._loaded

    def params(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in self.COLUMNS}


def _columns(cls: type) -> type:
    cls.COLUMNS = tuple(f.name for f in fields(cls) if not f.name.startswith("_"))
    return cls


@_columns
@dataclass(eq=False)
class OrderRow(_Row):
    order_id: str
    order_no: str
    status: str
    progress: str
    fully_allocated_on: date | None
    promised_date: date | None
    expected_date: date | None
    content_hash: str
    cancelled_at: datetime | None
    cancel_reason: str | None
    attention: str | None
    updated_at: datetime | None = None  # set when status and dates are derived again
    _loaded: tuple | None = field(default=None, repr=False)


@_columns
@dataclass(eq=False)
class LineRow(_Row):
    order_id: str
    line_no: int
    sku: str
    quantity: Decimal
    unit: str
    shortages: list | None
    short_reason: str | None
    allocated_quantity: Decimal
    allocated_unit: str | None
    fully_allocated: bool
    waiting_date: date | None
    short_code: str | None
    short_at: datetime | None
    allocated_at: datetime | None
    _loaded: tuple | None = field(default=None, repr=False)


@_columns
@dataclass(eq=False)
class PlanRow(_Row):
    order_id: str
    line_no: int
    plan_id: str
    batch_no: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    ready_estimate: date | None = None
    planned_end: date | None = None
    schedule_seen_at: datetime | None = None
    reserved_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    _loaded: tuple | None = field(default=None, repr=False)


@_columns
@dataclass(eq=False)
class ShipmentRow(_Row):
    order_id: str
    shipment_id: str
    carrier: str
    tracking_no: str
    complete: bool
    shipped_at: datetime
    delivered_at: datetime | None = None
    _loaded: tuple | None = field(default=None, repr=False)


# updated_at is not read: it is only ever written (when status and dates are derived again).
_ORDER_READ = tuple(c for c in OrderRow.COLUMNS if c != "updated_at")
_LOCK_ORDER = text(f"SELECT {', '.join(_ORDER_READ)} FROM orders WHERE order_id = :order_id FOR UPDATE")


def facts_query(seen: str = "false") -> Any:
    """Lines and plans in one statement (a row per plan, or per line without one), each row
    led by `seen`: an SQL condition of the caller's on the bound parameters (a duplicate
    check answered by the same round trip)."""
    line_cols = ", ".join(f"l.{c}" for c in LineRow.COLUMNS)
    plan_cols = ", ".join(f"p.{c}" for c in PlanRow.COLUMNS)
    return text(
        f"SELECT {seen} AS seen, {line_cols}, {plan_cols} FROM order_lines l "
        "LEFT JOIN line_plans p ON p.order_id = l.order_id AND p.line_no = l.line_no "
        "WHERE l.order_id = :order_id ORDER BY l.line_no"
    )


_FACTS = facts_query()


@dataclass(frozen=True)
class LockedFactsQuery:
    """An event's read of its order: `locked` takes the order's row lock and reads the lines,
    plans and `seen` in the same statement (one round trip instead of two); `fresh` reads them
    again, holding the lock, when the first read may be older than the lock (see `lock_facts`)."""

    locked: Any
    fresh: Any


def locked_facts_query(seen: str = "false") -> LockedFactsQuery:
    """The order under the lock `lock_order` takes, then `facts_query(seen)` (a row per plan,
    or per line, or one without a line), each row also saying whether the order row is the
    version the statement's snapshot holds (`current`)."""
    order_cols = ", ".join(f"locked.{c}" for c in _ORDER_READ)
    line_cols = ", ".join(f"l.{c}" for c in LineRow.COLUMNS)
    plan_cols = ", ".join(f"p.{c}" for c in PlanRow.COLUMNS)
    locked = text(
        f"WITH locked AS MATERIALIZED (SELECT {', '.join(_ORDER_READ)}, xmin AS version FROM orders "
        "WHERE order_id = :order_id FOR UPDATE) "
        "SELECT locked.version = (SELECT xmin FROM orders WHERE order_id = :order_id) AS current, "
        f"{order_cols}, {seen} AS seen, {line_cols}, {plan_cols} FROM locked "
        "LEFT JOIN order_lines l ON l.order_id = locked.order_id "
        "LEFT JOIN line_plans p ON p.order_id = l.order_id AND p.line_no = l.line_no ORDER BY l.line_no"
    )
    return LockedFactsQuery(locked, facts_query(seen))


# Where the lines' columns start in a row of `facts_query` and of `locked_facts_query`.
_LINE_AT = 1
_LOCKED_LINE_AT = 1 + len(_ORDER_READ) + 1

# The writes, as SQL with a parameter prefix, so that several go into one statement (see
# `_write_statement`).
def _order_sql(p: str) -> str:
    return (
        f"UPDATE orders SET status = :{p}status, progress = :{p}progress, fully_allocated_on = :{p}fully_allocated_on, "
        f"promised_date = :{p}promised_date, expected_date = :{p}expected_date, cancelled_at = :{p}cancelled_at, "
        f"cancel_reason = :{p}cancel_reason, attention = :{p}attention, "
        f"updated_at = COALESCE(:{p}updated_at, updated_at) WHERE order_id = :{p}order_id"
    )


_LINE_SET = [c for c in LineRow.COLUMNS if c not in ("order_id", "line_no", "sku", "quantity", "unit", "shortages")]


def _line_sql(p: str) -> str:
    # shortages as the ORM's JSONB wrote it (json.dumps; None: JSON null): read back, both are None.
    return (f"UPDATE order_lines SET shortages = CAST(:{p}shortages AS jsonb), "
            f"{', '.join(f'{c} = :{p}{c}' for c in _LINE_SET)} WHERE order_id = :{p}order_id AND line_no = :{p}line_no")


_PLAN_SET = [c for c in PlanRow.COLUMNS if c not in ("order_id", "line_no", "plan_id")]


def _plan_sql(p: str) -> str:
    return (f"INSERT INTO line_plans ({', '.join(PlanRow.COLUMNS)}) VALUES ({', '.join(f':{p}{c}' for c in PlanRow.COLUMNS)}) "
            f"ON CONFLICT (order_id, line_no, plan_id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in _PLAN_SET)}")


def _shipment_sql(p: str) -> str:
    # A shipment is kept as first recorded.
    return (f"INSERT INTO shipments ({', '.join(ShipmentRow.COLUMNS)}) "
            f"VALUES ({', '.join(f':{p}{c}' for c in ShipmentRow.COLUMNS)}) ON CONFLICT (order_id, shipment_id) DO NOTHING")


_TIMELINE_COLUMNS = ("order_id", "at", "status", "event_type", "event_id", "producer", "detail", "fact_hash", "fact_kind")


def _timeline_sql(prefixes: list[str]) -> str:
    """Rows get their ids in the order given (the timeline's order for entries of one instant)."""
    rows = ", ".join("(" + ", ".join(f":{p}{c}" for c in _TIMELINE_COLUMNS) + ")" for p in prefixes)
    return f"INSERT INTO timeline ({', '.join(_TIMELINE_COLUMNS)}) VALUES {rows}"


_SAVE_ORDER = text(_order_sql(""))
_SAVE_LINE = text(_line_sql(""))
_SAVE_PLAN = text(_plan_sql(""))
_ADD_SHIPMENT = text(_shipment_sql(""))
_ADD_TIMELINE = text(_timeline_sql([""]))
# PostgreSQL's protocol carries at most 32767 parameters per statement: an event touching
# thousands of lines is written row by row.
_MAX_PARAMETERS = 30_000
# The first delivery recorded stays; no row: its Shipped has not reached us.
_DELIVER_SHIPMENT = text(
    "UPDATE shipments SET delivered_at = COALESCE(delivered_at, :delivered_at) "
    "WHERE order_id = :order_id AND shipment_id = :shipment_id RETURNING complete"
)


@functools.cache
def _write_statement(lines: int, plans: int, shipments: int, entries: int) -> Any:
    """Everything one event writes, in one statement: the changed lines and plans, the new
    shipments and the order as data-modifying CTEs (each a different row), the timeline
    entries as the main INSERT. One statement per shape, built the first time it is needed."""
    ctes = [f"l{i} AS ({_line_sql(f'l{i}_')})" for i in range(lines)]
    ctes += [f"p{i} AS ({_plan_sql(f'p{i}_')})" for i in range(plans)]
    ctes += [f"s{i} AS ({_shipment_sql(f's{i}_')})" for i in range(shipments)]
    ctes.append(f"saved AS ({_order_sql('o_')})")
    return text(f"WITH {', '.join(ctes)} {_timeline_sql([f't{i}_' for i in range(entries)])}")


def _prefixed(prefix: str, params: dict[str, Any]) -> dict[str, Any]:
    return {prefix + k: v for k, v in params.items()}


def _line_params(line: LineRow) -> dict[str, Any]:
    params = line.params()
    params["shortages"] = json.dumps(line.shortages)
    return params


@dataclass(eq=False)
class OrderFacts:
    """What one event may change of one order: the order, its lines and plans (always read:
    status and dates are derived from them), new shipments and timeline entries."""

    session: AsyncSession
    order: OrderRow
    lines: dict[int, LineRow]
    plans: dict[tuple[int, str], PlanRow]
    new_shipments: list[ShipmentRow] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)

    def plan(self, line_no: int, plan_id: str) -> PlanRow:
        """The line's plan, added when it is new."""
        found = self.plans.get((line_no, plan_id))
        if found is None:
            found = self.plans[(line_no, plan_id)] = PlanRow(self.order.order_id, line_no, plan_id)
        return found

    def plans_of(self, line_no: int) -> list[PlanRow]:
        return [p for p in self.plans.values() if p.line_no == line_no]

    def add_shipment(self, shipment: ShipmentRow) -> None:
        """Written by `save` unless the order has that shipment already."""
        self.new_shipments.append(shipment)

    async def deliver_shipment(self, shipment_id: str, delivered_at: datetime) -> bool | None:
        """Marks the shipment delivered; whether it was complete, None when it is not known."""
        row = (await self.session.execute(_DELIVER_SHIPMENT, {
            "order_id": self.order.order_id, "shipment_id": shipment_id, "delivered_at": delivered_at})).first()
        return None if row is None else row.complete

    def add_timeline(self, entry: dict[str, Any]) -> None:
        """Written by `save`, in the order added (the timeline's id orders entries of one instant)."""
        self.timeline.append(entry)

    async def save(self) -> None:
        """Write what changed and the new timeline entries, in one statement."""
        lines = [line for line in self.lines.values() if line.changed()]
        plans = [plan for plan in self.plans.values() if plan.changed()]
        if not self.timeline or _parameters(lines, plans, self.new_shipments, self.timeline) > _MAX_PARAMETERS:
            await self._save_row_by_row(lines, plans)
            return
        params = _prefixed("o_", self.order.params())
        for i, line in enumerate(lines):
            params.update(_prefixed(f"l{i}_", _line_params(line)))
        for i, plan in enumerate(plans):
            params.update(_prefixed(f"p{i}_", plan.params()))
        for i, shipment in enumerate(self.new_shipments):
            params.update(_prefixed(f"s{i}_", shipment.params()))
        for i, entry in enumerate(self.timeline):
            params.update(_prefixed(f"t{i}_", entry))
        statement = _write_statement(len(lines), len(plans), len(self.new_shipments), len(self.timeline))
        await self.session.execute(statement, params)
        for row in [*lines, *plans, self.order]:
            row._loaded = row.values()
        self.new_shipments.clear()
        self.timeline.clear()

    async def _save_row_by_row(self, lines: list[LineRow], plans: list[PlanRow]) -> None:
        for line in lines:
            await self.session.execute(_SAVE_LINE, _line_params(line))
        for plan in plans:
            await self.session.execute(_SAVE_PLAN, plan.params())
        for shipment in self.new_shipments:
            await self.session.execute(_ADD_SHIPMENT, shipment.params())
        for row in [*lines, *plans]:
            row._loaded = row.values()
        self.new_shipments.clear()
        await save_order(self.session, self.order, self.timeline)
        self.timeline.clear()


def _parameters(*groups: list) -> int:
    return sum(len(group) * len(group[0].COLUMNS if isinstance(group[0], _Row) else group[0])
               for group in groups if group)


async def lock_order(session: AsyncSession, order_id: str) -> OrderRow | None:
    """The order under its row lock (the lock every handler and the cancel command take)."""
    row = (await session.execute(_LOCK_ORDER, {"order_id": order_id})).first()
    if row is None:
        return None
    order = OrderRow(*row)
    order._loaded = order.values()
    return order


async def lock_facts(session: AsyncSession, order_id: str, query: LockedFactsQuery,
                     params: dict[str, Any]) -> tuple[bool | None, OrderFacts] | None:
    """The order under its row lock, its lines and plans, and `query`'s `seen` condition (None:
    the order has no line to carry it); None when the order is not known (yet).

    One statement reads with the snapshot it started with. When it had to wait for the lock,
    the transaction holding it committed after that snapshot: the order row comes as that
    transaction left it (PostgreSQL re-reads a row it locks), the lines, plans and timeline as
    they were before. Whatever changes an order's lines, plans, shipments or the timeline
    entries an event's duplicate check compares with also updates its order row, under that
    lock (`OrderFacts.save` always writes it; placement inserts it): an order row newer than
    the snapshot says so, and they are read again, now that the lock is held."""
    rows = (await session.execute(query.locked, {**params, "order_id": order_id})).all()
    if not rows:
        return None
    first = rows[0]
    order = OrderRow(*first[1:_LOCKED_LINE_AT - 1])
    order._loaded = order.values()
    if first.current:
        seen, lines, plans = _parse_lines_and_plans(rows, _LOCKED_LINE_AT)
    else:
        seen, lines, plans = await _lines_and_plans(session, order_id, query.fresh, params)
    return seen, OrderFacts(session, order, lines, plans)


async def read_facts(session: AsyncSession, order: OrderRow, query: Any = _FACTS,
                     params: dict[str, Any] | None = None) -> tuple[bool | None, OrderFacts]:
    """The order's lines and plans, and `query`'s `seen` condition (None: the order has no
    line to carry it). Call it holding the order's row lock (`lock_order`), so they are read
    as the last transaction holding it left them."""
    seen, lines, plans = await _lines_and_plans(session, order.order_id, query, params)
    return seen, OrderFacts(session, order, lines, plans)


async def read_lines(session: AsyncSession, order_id: str) -> tuple[dict[int, LineRow], dict[tuple[int, str], PlanRow]]:
    """The order's lines (by line number) and plans, to show them (no lock)."""
    _, lines, plans = await _lines_and_plans(session, order_id, _FACTS, None)
    return lines, plans


async def _lines_and_plans(session: AsyncSession, order_id: str, query: Any, params: dict[str, Any] | None):
    return _parse_lines_and_plans(await session.execute(query, {**(params or {}), "order_id": order_id}), _LINE_AT)


def _parse_lines_and_plans(rows: Any, line_at: int):
    """`seen` (the column before `line_at`; None without a row), lines and plans of rows whose
    line's columns start at `line_at`, followed by the plan's (NULL: a line without plans, or
    no line at all)."""
    lines: dict[int, LineRow] = {}
    plans: dict[tuple[int, str], PlanRow] = {}
    seen = None
    line_end = line_at + len(LineRow.COLUMNS)
    for row in rows:
        seen = row[line_at - 1]
        line_no = row[line_at + 1]
        if line_no is None:  # an order without lines (the locked read's one row)
            continue
        if line_no not in lines:
            lines[line_no] = LineRow.from_row(row[line_at:line_end])
        if row[line_end + 2] is not None:  # the plan's id: a line without plans has none
            plan = PlanRow.from_row(row[line_end:])
            plans[(plan.line_no, plan.plan_id)] = plan
    return seen, lines, plans


async def save_order(session: AsyncSession, order: OrderRow, timeline: list[dict[str, Any]] = ()) -> None:
    """Write the order if it changed, then `timeline` (entries in the order given)."""
    if order.changed():
        await session.execute(_SAVE_ORDER, order.params())
        order._loaded = order.values()
    await add_timeline(session, timeline)


async def add_timeline(session: AsyncSession, entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        await session.execute(_ADD_TIMELINE, entry)
