"""Database round trips per order, for the saga benchmark: pg_stat_statements counts every
statement each service's database executed during the run (BEGIN and COMMIT included), so
the report can say how many round trips an order costs each service and which statements
make them.

Why it is in the benchmark: a profile of the services (bench/cpu_profile.py) puts 35-45% of
orders', inventory's and shipping's CPU samples in the socket write that sends a statement
to PostgreSQL (on this kind of virtual machine, waking the server's process on the other core
is the expensive part), so the number of statements per order is the figure to drive down,
and unlike a latency it does not depend on how loaded the machine is.

The server must load the module (`shared_preload_libraries = pg_stat_statements`; the
benchmark starts its PostgreSQL so); the view is installed in the `postgres` database, and
reports on every database of the server."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import asyncpg

SETTINGS = {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track_utility": "on",
            "pg_stat_statements.max": "10000"}

_PER_STATEMENT = """
SELECT d.datname AS db, s.query, s.calls, s.rows
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE s.toplevel
"""


@dataclass
class Counts:
    per_db: dict[str, int] = field(default_factory=dict)
    transactions: dict[str, int] = field(default_factory=dict)  # BEGINs: one per transaction
    top: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    # The saga's shape: events written to the outboxes (rows) and deliveries claimed in the
    # inboxes (calls), over all databases (bench/floor.py prices them).
    events: int = 0
    deliveries: int = 0


async def reset(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await conn.execute("SELECT pg_stat_statements_reset()")
    finally:
        await conn.close()


async def read(postgres_dsn: str, databases: dict[str, str]) -> Counts:
    """`databases`: service name -> its database's name on the server."""
    names = {db: svc for svc, db in databases.items()}
    conn = await asyncpg.connect(postgres_dsn)
    try:
        rows = await conn.fetch(_PER_STATEMENT)
    finally:
        await conn.close()
    out = Counts()
    per: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in rows:
        svc = names.get(r["db"])
        if svc is None:
            continue
        query = " ".join(r["query"].split())
        per[svc].append((query, r["calls"]))
        if query.startswith("INSERT INTO outbox"):
            out.events += r["rows"]
        elif query.startswith("INSERT INTO inbox"):
            out.deliveries += r["calls"]
    for svc, stmts in per.items():
        out.per_db[svc] = sum(c for _, c in stmts)
        out.transactions[svc] = sum(c for q, c in stmts if q.upper().startswith(("BEGIN", "START TRANSACTION")))
        out.top[svc] = sorted(stmts, key=lambda qc: -qc[1])[:8]
    return out


def report(counts: Counts, orders: int) -> list[str]:
    lines = ["## Database round trips per order (pg_stat_statements, every statement of the run)", "",
             "| service database | statements per order | transactions per order | statements per transaction |",
             "|---|---|---|---|"]
    for svc, n in sorted(counts.per_db.items(), key=lambda kv: -kv[1]):
        tx = counts.transactions.get(svc, 0)
        lines.append(f"| {svc} | {n / orders:.1f} | {tx / orders:.1f} | {n / tx:.1f} |" if tx else
                     f"| {svc} | {n / orders:.1f} | - | - |")
    lines.append(f"| all | {sum(counts.per_db.values()) / orders:.1f} | "
                 f"{sum(counts.transactions.values()) / orders:.1f} | |")
    lines += ["", "The most frequent statements of each (calls per order; the driver's progress polls "
              "of the orders service are in its figures):", ""]
    for svc, stmts in sorted(counts.top.items(), key=lambda kv: -counts.per_db.get(kv[0], 0)):
        cells = "; ".join(f"`{q[:90]}{'...' if len(q) > 90 else ''}` {c / orders:.1f}" for q, c in stmts)
        lines.append(f"- **{svc}**: {cells}")
    lines.append("")
    return lines


# A soak asks which statements grow dearer as history grows: server time per statement,
# sampled with the CPU every few seconds, compared between the first and the last block.
_TIMES = """
SELECT d.datname AS db, s.queryid, s.query, s.calls, s.total_exec_time, s.shared_blks_hit + s.shared_blks_read AS blocks
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE s.toplevel
"""


@dataclass
class Times:
    """(database, queryid) -> (query text, calls, total execution ms, shared blocks touched)."""
    rows: dict[tuple[str, int], tuple[str, int, float, int]] = field(default_factory=dict)

    def __sub__(self, before: "Times") -> "Times":
        out = {}
        for key, (q, calls, ms, blocks) in self.rows.items():
            _, c0, m0, b0 = before.rows.get(key, (q, 0, 0.0, 0))
            if calls > c0:
                out[key] = (q, calls - c0, ms - m0, blocks - b0)
        return Times(out)


async def times(conn: asyncpg.Connection, databases: dict[str, str]) -> Times:
    names = {db: svc for svc, db in databases.items()}
    rows = await conn.fetch(_TIMES)
    return Times({(names[r["db"]], r["queryid"]): (" ".join(r["query"].split()), r["calls"], r["total_exec_time"], r["blocks"])
                  for r in rows if r["db"] in names})


def growth_report(first: Times, last: Times, first_orders: int, last_orders: int, top: int = 12) -> list[str]:
    """Server time and shared blocks touched per order by service database in both windows,
    and the statements whose blocks per order grew most. Blocks are the work a statement did;
    its time also holds the waits for row locks (inventory's item locks), which grow with
    contention, not with history. Mean time and blocks per call tell a statement that runs
    more often from one that does more work each time."""
    def per_svc(t: Times, n: int) -> dict[str, tuple[float, float]]:
        out: dict[str, tuple[float, float]] = {}
        for (svc, _), (_, _, ms, blocks) in t.rows.items():
            m, b = out.get(svc, (0.0, 0.0))
            out[svc] = (m + ms / n, b + blocks / n)
        return out

    def change(x: float, y: float) -> str:
        return f"{(y - x) / x:+.0%}" if x else ""

    a, b = per_svc(first, first_orders), per_svc(last, last_orders)
    lines = ["| service database | server ms per order, first -> last | change | blocks per order, first -> last | change |",
             "|---|---|---|---|---|"]
    for svc in sorted(set(a) | set(b), key=lambda s: -b.get(s, (0.0, 0.0))[1]):
        (m1, b1), (m2, b2) = a.get(svc, (0.0, 0.0)), b.get(svc, (0.0, 0.0))
        lines.append(f"| {svc} | {m1:.2f} -> {m2:.2f} | {change(m1, m2)} | {b1:.0f} -> {b2:.0f} | {change(b1, b2)} |")
    growth = []
    for key in set(first.rows) | set(last.rows):
        q, c1, m1, b1 = first.rows.get(key, ("", 0, 0.0, 0))
        q2, c2, m2, b2 = last.rows.get(key, ("", 0, 0.0, 0))
        growth.append((b2 / last_orders - b1 / first_orders, key[0], q or q2, c1, m1, b1, c2, m2, b2))
    growth.sort(key=lambda g: -g[0])
    lines += ["", "Statements whose shared blocks per order grew most (first -> last):", "",
              "| service | statement | blocks/order | blocks per call | calls/order | mean ms |", "|---|---|---|---|---|---|"]
    for d, svc, q, c1, m1, b1, c2, m2, b2 in growth[:top]:
        text = q[:110].replace("|", "\\|") + ("..." if len(q) > 110 else "")
        lines.append(f"| {svc} | `{text}` | {b1 / first_orders:.1f} -> {b2 / last_orders:.1f} | "
                     f"{b1 / max(c1, 1):.1f} -> {b2 / max(c2, 1):.1f} | {c1 / first_orders:.2f} -> {c2 / last_orders:.2f} | "
                     f"{m1 / max(c1, 1):.3f} -> {m2 / max(c2, 1):.3f} |")
    return lines
