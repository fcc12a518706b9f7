"""Parked outbox rows, for operators: the rows the relay could not publish.

    python -m eventkit.outbox list   --database-url URL
    python -m eventkit.outbox unpark --database-url URL <id> [<id> ...]

`list` prints each parked row (id, topic, key, size, attempts, last error); `unpark` hands
rows back to the relay once the cause is fixed (limit raised, topic created), which then
publishes them, and the rows of their key held behind them, in order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import asyncpg

from eventkit.db import asyncpg_dsn

_PARKED = """
SELECT id, topic, key, octet_length(payload) AS size, attempts, last_error, parked_at, created_at,
       (SELECT count(*) FROM outbox w WHERE w.published_at IS NULL AND w.parked_at IS NULL
          AND w.topic = o.topic AND w.key = o.key AND w.id > o.id) AS held_behind
FROM outbox o WHERE parked_at IS NOT NULL AND published_at IS NULL ORDER BY id LIMIT $1
"""


async def parked_rows(conn: asyncpg.Connection, limit: int = 100) -> list[dict]:
    rows = await conn.fetch(_PARKED, limit)
    return [{**dict(r), "parked_at": r["parked_at"].isoformat(), "created_at": r["created_at"].isoformat()} for r in rows]


async def unpark(conn: asyncpg.Connection, ids: list[int]) -> int:
    """Give parked rows back to the relay; returns how many were parked."""
    status = await conn.execute(
        "UPDATE outbox SET parked_at = NULL WHERE id = ANY($1::bigint[]) AND parked_at IS NOT NULL "
        "AND published_at IS NULL",
        ids,
    )
    # NOTIFY wakes the relay now rather than at its next poll.
    await conn.execute("SELECT pg_notify('outbox', '')")
    return int(status.split()[-1])


async def _main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m eventkit.outbox", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True, help="the service's database (postgresql://...)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ls = sub.add_parser("list")
    ls.add_argument("--limit", type=int, default=100)
    up = sub.add_parser("unpark")
    up.add_argument("ids", type=int, nargs="+")
    args = ap.parse_args(argv)
    conn = await asyncpg.connect(asyncpg_dsn(args.database_url))
    try:
        if args.cmd == "list":
            for row in await parked_rows(conn, args.limit):
                print(json.dumps(row))
        else:
            print(f"unparked {await unpark(conn, args.ids)} row(s)")
    finally:
        await conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(sys.argv[1:])))
