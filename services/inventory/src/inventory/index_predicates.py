"""The predicates of inventory's partial indexes, written the way the indexes are (migrations
0001, 0002, 0006), for the searches that must use them: lots with something free
(lots_free), lines waiting for supply (demand_lines_waiting), plans not yet made (plans_open).

Why constants and not bound values: a search is a prepared statement, and after five runs
PostgreSQL may switch it to a generic plan, which cannot prove "status = $2" implies an
index's "status = 'planned'"; the search then reads every row the business ever had, and
costs more each day. Written out, every plan can use the index."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, literal_column

from inventory.tables import DemandLine, Lot, Plan


def free_lots() -> ColumnElement[bool]:
    return and_(Lot.on_hand > Lot.reserved + Lot.allocated, ~Lot.on_hold)


def waiting_lines() -> ColumnElement[bool]:
    return and_(DemandLine.waiting > literal_column("0"), DemandLine.status == literal_column("'open'"))


def open_plans() -> ColumnElement[bool]:
    return Plan.status == literal_column("'planned'")
