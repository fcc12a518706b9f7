"""Hop latency for the saga benchmark, commit to commit, read from the services' own tables
after the run.

A hop starts when the producing transaction commits (the outbox row becomes visible to the
relay) and ends when the consuming transaction commits (the event's effects and its inbox row
become visible). Both instants are PostgreSQL's own commit timestamps, so nothing else (the
shop floor, an operator, the time a handler spent before emitting) is counted in:

- producing commit: the outbox row records the id of the transaction that wrote it
  (`created_xact`, eventkit's migration 0004); its commit timestamp is looked up by that id
  (the row's xmin is no help: the relay's publish mark rewrites the row);
- consuming commit: the inbox row is written once by the consuming transaction, so its xmin
  names it.

This needs `track_commit_timestamp = on` in the server (the benchmark starts its PostgreSQL
with it). One server, one clock: every timestamp compares with every other.

Each hop splits into three legs, from two more timestamps the kit's tables keep: the relay
(producing commit -> the outbox row marked published, i.e. after Kafka acknowledged it), the
delivery (that mark -> the consuming transaction's start, the inbox row's `processed_at`:
Kafka to the consumer, its fetch and dispatch; slightly negative when the consumer had the
record before the relay's mark went out) and the apply (consuming start -> its commit)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

# xid8 -> xid: the commit-timestamp lookup takes the 32-bit id (the epoch is dropped).
_OUTBOX = """
SELECT event_id, headers->>'event_type' AS event_type,
       convert_from(payload, 'UTF8')::jsonb->>'correlation_id' AS correlation_id,
       pg_xact_commit_timestamp(((created_xact::text::bigint) % 4294967296)::text::xid) AS committed_at,
       published_at
FROM outbox WHERE created_at >= $1 AND created_xact IS NOT NULL
"""
_INBOX = """
SELECT consumer, event_id, correlation_id, pg_xact_commit_timestamp(xmin) AS committed_at, processed_at
FROM inbox WHERE processed_at >= $1
"""


@dataclass
class Emitted:
    event_type: str
    producer: str
    correlation_id: str | None
    committed_at: datetime
    published_at: datetime | None = None


@dataclass
class Journal:
    """What every service committed during the run."""

    emitted: dict[str, Emitted] = field(default_factory=dict)  # event_id -> outbox row
    # consumer, event_id, correlation, committed at, the consuming transaction's start
    applied: list[tuple[str, str, str | None, datetime, datetime]] = field(default_factory=list)

    def hops(self, orders: set[str] | None = None) -> dict[str, list[float]]:
        """'<event type> -> <consumer>' -> milliseconds from producing commit to consuming
        commit, for the events of `orders` (correlation ids) or all."""
        out: dict[str, list[float]] = defaultdict(list)
        for consumer, event_id, correlation_id, at, _ in self.applied:
            src = self.emitted.get(event_id)
            if src is None or (orders is not None and correlation_id not in orders):
                continue
            out[f"{src.event_type} -> {consumer}"].append((at - src.committed_at).total_seconds() * 1000)
        return out

    def legs(self, orders: set[str] | None = None) -> dict[str, tuple[list[float], list[float], list[float]]]:
        """'<event type> -> <consumer>' -> milliseconds of (relay, delivery, apply) per event."""
        out: dict[str, tuple[list[float], list[float], list[float]]] = defaultdict(lambda: ([], [], []))
        for consumer, event_id, correlation_id, at, start in self.applied:
            src = self.emitted.get(event_id)
            if src is None or src.published_at is None:
                continue
            if orders is not None and correlation_id not in orders:
                continue
            relay, delivery, apply = out[f"{src.event_type} -> {consumer}"]
            relay.append((src.published_at - src.committed_at).total_seconds() * 1000)
            delivery.append((start - src.published_at).total_seconds() * 1000)
            apply.append((at - start).total_seconds() * 1000)
        return out

    def first_commit(self, event_type: str) -> dict[str, datetime]:
        """Order (correlation id) -> commit time of its first event of `event_type`."""
        out: dict[str, datetime] = {}
        for e in self.emitted.values():
            if e.event_type == event_type and e.correlation_id is not None:
                if e.correlation_id not in out or e.committed_at < out[e.correlation_id]:
                    out[e.correlation_id] = e.committed_at
        return out

    def saga(self, start: str, end: str, orders: set[str]) -> list[float]:
        """Milliseconds from each order's first `start` commit to its first `end` commit."""
        a, b = self.first_commit(start), self.first_commit(end)
        return [(b[o] - a[o]).total_seconds() * 1000 for o in orders if o in a and o in b]


async def read_journal(dsns: dict[str, str], since: datetime) -> Journal:
    """`dsns`: service name -> its database. Services without the kit's tables are skipped."""
    journal = Journal()
    for service, dsn in dsns.items():
        conn = await asyncpg.connect(dsn)
        try:
            if await conn.fetchval("SHOW track_commit_timestamp") != "on":
                raise SystemExit("hop latency needs track_commit_timestamp=on in PostgreSQL (the benchmark's own "
                                 "server has it; an external one given by BATCHFLOW_PG_URL must set it)")
            if await conn.fetchval("SELECT to_regclass('outbox') IS NOT NULL"):
                for r in await conn.fetch(_OUTBOX, since):
                    if r["committed_at"] is not None:
                        journal.emitted[str(r["event_id"])] = Emitted(r["event_type"], service, r["correlation_id"],
                                                                      r["committed_at"], r["published_at"])
            if await conn.fetchval("SELECT to_regclass('inbox') IS NOT NULL"):
                for r in await conn.fetch(_INBOX, since):
                    if r["committed_at"] is not None:
                        journal.applied.append((r["consumer"], str(r["event_id"]), r["correlation_id"], r["committed_at"],
                                                r["processed_at"]))
        finally:
            await conn.close()
    return journal
