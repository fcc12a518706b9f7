"""Schema migrations: the kit's own tables (outbox, inbox), then the service's numbered SQL
files (`migrations/0001_*.sql`...), each applied once, recorded in `schema_migrations`.
An advisory lock lets two instances start at once without racing."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from eventkit.db import asyncpg_dsn

KIT_MIGRATIONS: list[tuple[str, str]] = [
    (
        "eventkit_0001_outbox_inbox",
        """
        CREATE TABLE outbox (
            id           BIGSERIAL PRIMARY KEY,
            event_id     UUID NOT NULL UNIQUE,
            topic        TEXT NOT NULL,
            key          TEXT NOT NULL,
            payload      BYTEA NOT NULL,
            headers      JSONB NOT NULL DEFAULT '{}'::jsonb,
            created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
            published_at TIMESTAMPTZ
        );
        CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

        -- Wake the relay when a transaction that wrote events commits (NOTIFY is delivered
        -- at commit, and not at all on rollback). One notification per statement is enough.
        CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('outbox', ''); RETURN NULL; END $$;
        CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
            FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

        CREATE TABLE inbox (
            consumer     TEXT NOT NULL,
            event_id     UUID NOT NULL,
            topic        TEXT NOT NULL,
            partition    INT NOT NULL,
            "offset"     BIGINT NOT NULL,
            processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer, event_id)
        );
        """,
    ),
    (
        "eventkit_0002_inbox_saga_trace",
        """
        -- Which saga each handled event belonged to, and its trace context: a command that
        -- later acts on the same saga (an operator ships the order) continues that trace.
        ALTER TABLE inbox ADD COLUMN correlation_id TEXT, ADD COLUMN traceparent TEXT;
        CREATE INDEX inbox_saga ON inbox (correlation_id, processed_at DESC);
        """,
    ),
    (
        "eventkit_0003_outbox_parking_retention",
        """
        -- A row the relay cannot publish (too big for the broker, topic missing) is parked
        -- with its attempts and last error instead of blocking every later row; only later
        -- rows of its topic+key wait for it (this partial index finds them, and stays tiny).
        ALTER TABLE outbox ADD COLUMN attempts INT NOT NULL DEFAULT 0,
                           ADD COLUMN last_error TEXT,
                           ADD COLUMN parked_at TIMESTAMPTZ;
        CREATE INDEX outbox_parked ON outbox (topic, key, id)
            WHERE parked_at IS NOT NULL AND published_at IS NULL;
        -- Retention deletes inbox rows by age; rows arrive in processed_at order, so a BRIN
        -- index finds them at almost no cost to each insert.
        CREATE INDEX inbox_processed_at ON inbox USING brin (processed_at);
        """,
    ),
    (
        "eventkit_0004_outbox_created_xact",
        """
        -- The id of the transaction that wrote each outbox row. With track_commit_timestamp
        -- on, pg_xact_commit_timestamp() of it is the instant the event was committed (the
        -- row's own xmin is rewritten by the relay's publish mark): the saga benchmark
        -- measures each hop from that commit to the consumer's. Added without a default
        -- first, so existing rows are not rewritten; only new rows carry it.
        ALTER TABLE outbox ADD COLUMN created_xact xid8;
        ALTER TABLE outbox ALTER COLUMN created_xact SET DEFAULT pg_current_xact_id();
        """,
    ),
    (
        "eventkit_0005_outbox_vacuum",
        """
        -- Every row is written once and marked published once; the mark leaves a dead entry
        -- in outbox_unpublished that each relay scan steps over until a vacuum removes it.
        -- By default autovacuum waits for 20% of the table to be dead, so the entries to step
        -- over grew with the table's history; a fixed threshold keeps them bounded.
        ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
        """,
    ),
]

_LOCK_KEY = 7_301_001  # arbitrary, constant: "migrations of this database"


def service_migrations(directory: Path | None) -> list[tuple[str, str]]:
    if directory is None or not directory.exists():
        return []
    return [(p.stem, p.read_text()) for p in sorted(directory.glob("*.sql"))]


async def migrate(database_url: str, directory: Path | None) -> list[str]:
    """Apply what is missing; return the names applied now."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for name, sql in KIT_MIGRATIONS + service_migrations(directory):
            if name in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            applied_now.append(name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
        await conn.close()
    return applied_now
