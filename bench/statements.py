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
SELECT d.datname AS db, s.query, s.calls
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE s.toplevel
"""


@dataclass
class Counts:
    per_db: dict[str, int] = field(default_factory=dict)
    transactions: dict[str, int] = field(default_factory=dict)  # BEGINs: one per transaction
    top: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


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
        per[svc].append((" ".join(r["query"].split()), r["calls"]))
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
