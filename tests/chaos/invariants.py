"""What must hold once the system is quiet, whatever crashed on the way. Read straight from
each service's database and from Kafka: this is the auditor's view, not a service's."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import asyncpg

from eventkit.dlt import dead_letter_counts

SERVICE_DBS = ("orders", "inventory", "production", "shipping", "channels", "purchasing")
SETTLED = {"shipped", "delivered", "cancelled"}


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Audit:
    checks: list[Check] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, problems: list, detail_ok: str = "") -> None:
        self.checks.append(Check(name, not problems, "; ".join(map(str, problems[:5])) or detail_ok))

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


async def _fetch(stack, db: str, sql: str) -> list:
    conn = await asyncpg.connect(stack.dsn(stack.database(db)))
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def _story(stack, order_id: str) -> str:
    """What happened to an order, for a failure message: its timeline and inventory's view."""
    timeline = await _fetch(stack, "orders", f"SELECT event_type, status, detail FROM timeline WHERE order_id = '{order_id}' ORDER BY at, id")
    lines = await _fetch(stack, "inventory", f"SELECT line_no, sku, quantity, waiting, reason FROM demand_lines WHERE order_id = '{order_id}'")
    allocs = await _fetch(stack, "inventory", f"SELECT line_no, quantity, shipped, status FROM allocations WHERE order_id = '{order_id}'")
    promises = await _fetch(stack, "inventory", f"SELECT plan_id, line_no, quantity, allocated FROM promises WHERE order_id = '{order_id}'")
    return (" | ".join(f"{r['event_type']}->{r['status']}: {r['detail']}" for r in timeline)
            + f" || lines {[dict(r) for r in lines]} allocs {[dict(r) for r in allocs]} promises {[dict(r) for r in promises]}")


async def unpublished(stack) -> dict[str, int]:
    return {db: (await _fetch(stack, db, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"))[0]["n"]
            for db in SERVICE_DBS}


async def audit(stack, placed: set[str]) -> Audit:
    a = Audit()
    orders = {r["order_id"]: r for r in await _fetch(stack, "orders", "SELECT order_id, status FROM orders")}
    for r in orders.values():
        a.statuses[r["status"]] = a.statuses.get(r["status"], 0) + 1

    a.add("every placed order exists", sorted(placed - set(orders)))
    waiting = await _fetch(stack, "inventory",
                           "SELECT DISTINCT order_id FROM demand_lines WHERE waiting > 0")
    explained = {r["order_id"] for r in waiting}
    # Waiting is explained when inventory holds part of the order as waiting for materials
    # (the order shows awaiting_materials, or allocated for the part that could be served).
    unsettled = [o for o, r in orders.items() if r["status"] not in SETTLED and o not in explained]
    a.add("every order settled or waiting for materials with the shortage recorded",
          [f"{o}: {orders[o]['status']} <- {await _story(stack, o)}" for o in unsettled[:3]])

    ordered = {(r["order_id"], r["line_no"]): r["quantity"] for r in await _fetch(
        stack, "inventory", "SELECT order_id, line_no, quantity FROM demand_lines")}
    shipped = await _fetch(stack, "inventory",
                           "SELECT order_id, allocation_id, count(*) AS n, -sum(quantity) AS q FROM stock_movements "
                           "WHERE kind = 'shipment' GROUP BY order_id, allocation_id")
    a.add("no allocation shipped twice", [r["allocation_id"] for r in shipped if r["n"] > 1])
    per_line = await _fetch(stack, "shipping",
                            "SELECT s.order_id, l.line_no, sum(l.quantity) AS q FROM shipments s "
                            "JOIN shipment_lines l USING (shipment_id) WHERE s.status IN ('shipped', 'delivered') "
                            "GROUP BY s.order_id, l.line_no")
    a.add("no order line shipped beyond what was ordered",
          [f"{r['order_id']}/{r['line_no']}: {r['q']}" for r in per_line
           if r["q"] > ordered.get((r["order_id"], r["line_no"]), Decimal(0))])

    lots = await _fetch(stack, "inventory",
                        "SELECT l.lot_id, l.on_hand, l.reserved, l.allocated, "
                        "COALESCE((SELECT sum(quantity) FROM stock_movements m WHERE m.lot_id = l.lot_id), 0) AS ledger, "
                        "COALESCE((SELECT sum(quantity - consumed - released) FROM reservations r WHERE r.lot_id = l.lot_id AND r.status = 'open'), 0) AS open_res, "
                        "COALESCE((SELECT sum(quantity - shipped) FROM allocations x WHERE x.lot_id = l.lot_id AND x.status = 'allocated'), 0) AS open_alloc "
                        "FROM lots l")
    a.add("no stock negative", [r["lot_id"] for r in lots if min(r["on_hand"], r["reserved"], r["allocated"]) < 0])
    a.add("every lot's ledger sums to its on-hand", [f"{r['lot_id']}: {r['ledger']} != {r['on_hand']}" for r in lots if r["ledger"] != r["on_hand"]])
    a.add("lot reservations match open reservations", [r["lot_id"] for r in lots if r["reserved"] != r["open_res"]])
    a.add("lot allocations match open allocations", [r["lot_id"] for r in lots if r["allocated"] != r["open_alloc"]])
    settled = {o for o, r in orders.items() if r["status"] in SETTLED}
    stale = await _fetch(stack, "inventory", "SELECT DISTINCT order_id FROM allocations WHERE status = 'allocated'")
    a.add("no stock set aside for settled orders", sorted({r["order_id"] for r in stale} & settled))
    open_res = await _fetch(stack, "inventory",
                            "SELECT r.plan_id, p.status FROM reservations r JOIN plans p USING (plan_id) "
                            "WHERE r.status = 'open' AND p.status <> 'planned'")
    a.add("no material reserved for finished or cancelled plans", [f"{r['plan_id']} ({r['status']})" for r in open_res])

    backlog = await unpublished(stack)
    a.add("every outbox row published", [f"{db}: {n}" for db, n in backlog.items() if n])
    dead = {t: n for t, n in (await dead_letter_counts(stack.bootstrap, stack.topic_prefix)).items() if n}
    a.add("dead-letter topics empty", [f"{t}: {n}" for t, n in dead.items()])
    dup = await _fetch(stack, "orders", "SELECT order_id, event_id FROM timeline GROUP BY order_id, event_id HAVING count(*) > 1")
    a.add("no event twice on a timeline", [r["order_id"] for r in dup])
    return a
