"""Retention of the kit's tables: published outbox rows and inbox rows past their age are
deleted in small batches (short transactions, no long locks), by every instance of a service
(SKIP LOCKED keeps two instances from waiting on each other). Unpublished and parked outbox
rows are never deleted."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from eventkit.errors import is_transient
from eventkit.settings import ServiceSettings

log = logging.getLogger("eventkit.retention")

# Rows are published roughly in id order, so walking the primary key finds the old ones first.
_PRUNE_OUTBOX = text(
    "DELETE FROM outbox WHERE id = ANY(ARRAY("
    " SELECT id FROM outbox WHERE published_at < now() - make_interval(secs => :age)"
    " ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED))"
)
_PRUNE_INBOX = text(
    "DELETE FROM inbox WHERE ctid = ANY(ARRAY("
    " SELECT ctid FROM inbox WHERE processed_at < now() - make_interval(secs => :age)"
    " LIMIT :n FOR UPDATE SKIP LOCKED))"
)


async def _prune(engine: AsyncEngine, statement, age_seconds: float, batch: int) -> int:
    total = 0
    while True:
        async with engine.begin() as conn:
            deleted = (await conn.execute(statement, {"age": age_seconds, "n": batch})).rowcount
        total += deleted
        if deleted < batch:
            return total


async def prune_once(engine: AsyncEngine, settings: ServiceSettings) -> tuple[int, int]:
    """One pass; returns (outbox rows, inbox rows) deleted."""
    outbox = await _prune(engine, _PRUNE_OUTBOX, settings.outbox_retention_hours * 3600, settings.retention_batch_size)
    inbox = await _prune(engine, _PRUNE_INBOX, settings.inbox_retention_days * 86400, settings.retention_batch_size)
    return outbox, inbox


async def run_retention(engine: AsyncEngine, settings: ServiceSettings, stopping: asyncio.Event) -> None:
    """Prune every `retention_interval` seconds until `stopping` is set; failures wait for the next pass."""
    while not stopping.is_set():
        try:
            outbox, inbox = await prune_once(engine, settings)
            if outbox or inbox:
                log.info("retention: deleted %d published outbox row(s), %d inbox row(s)", outbox, inbox)
        except Exception as exc:
            level = logging.WARNING if is_transient(exc) else logging.ERROR
            log.log(level, "retention: %s: %s (next pass in %.0fs)", type(exc).__name__, exc, settings.retention_interval)
        try:
            await asyncio.wait_for(stopping.wait(), timeout=settings.retention_interval)
        except asyncio.TimeoutError:
            pass
