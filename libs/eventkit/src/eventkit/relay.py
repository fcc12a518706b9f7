"""The outbox relay: the only code that publishes a service's events.

It takes unpublished outbox rows in id order, sends them with the idempotent producer
(acks=all), waits for every acknowledgement, then marks them published in the same
transaction that selected them. A crash anywhere before that commit means the rows are sent
again: consumers deduplicate by event_id. A transaction-scoped advisory lock makes one relay
at a time work on a database, so two instances of a service never interleave a key's events.
"""

from __future__ import annotations

import asyncio
import json
import logging

import asyncpg
from aiokafka import AIOKafkaProducer

from eventkit.db import asyncpg_dsn
from eventkit.errors import is_transient

log = logging.getLogger("eventkit.relay")

_RELAY_LOCK = 7_301_002


class OutboxRelay:
    def __init__(self, database_url: str, producer: AIOKafkaProducer, *, batch_size: int = 500, poll_interval: float = 1.0):
        self._dsn = asyncpg_dsn(database_url)
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self._listen_conn: asyncpg.Connection | None = None
        self.published = 0
        self.healthy = False

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                await self._ensure_connections()
                sent = await self.publish_batch()
                self.healthy = True
                backoff = 0.1
                if sent >= self._batch_size:
                    continue  # more waiting: do not sleep
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
                except asyncio.TimeoutError:
                    pass
                self._wake.clear()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the relay must survive outages of either side
                self.healthy = False
                level = logging.WARNING if is_transient(exc) else logging.ERROR
                log.log(level, "relay: %s: %s (retrying in %.1fs)", type(exc).__name__, exc, backoff)
                await self._close_connections()
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=backoff)
                except asyncio.TimeoutError:
                    pass
                backoff = min(backoff * 2, 5.0)
        # Final flush on graceful shutdown so committed events leave with the process.
        try:
            if self._conn is not None:
                while await self.publish_batch() >= self._batch_size:
                    pass
        except Exception as exc:
            log.warning("relay: final flush failed (%s); rows stay in the outbox for the next start", exc)
        await self._close_connections()

    async def _ensure_connections(self) -> None:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self._dsn)
        if self._listen_conn is None or self._listen_conn.is_closed():
            self._listen_conn = await asyncpg.connect(self._dsn)
            await self._listen_conn.add_listener("outbox", lambda *_: self._wake.set())

    async def _close_connections(self) -> None:
        for conn in (self._conn, self._listen_conn):
            if conn is not None and not conn.is_closed():
                try:
                    await asyncio.wait_for(conn.close(), timeout=2)
                except Exception:
                    conn.terminate()
        self._conn = self._listen_conn = None

    async def publish_batch(self) -> int:
        conn = self._conn
        assert conn is not None
        async with conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _RELAY_LOCK):
                return 0  # another instance is relaying this database
            rows = await conn.fetch(
                "SELECT id, topic, key, payload, headers FROM outbox "
                "WHERE published_at IS NULL ORDER BY id LIMIT $1",
                self._batch_size,
            )
            if not rows:
                return 0
            acks = []
            for row in rows:
                headers = json.loads(row["headers"]) if isinstance(row["headers"], str) else dict(row["headers"])
                payload = bytes(row["payload"])
                kafka_headers = [(k, str(v).encode()) for k, v in headers.items()]
                # send() only enqueues; rows go out in id order per partition, and the
                # idempotent producer keeps that order through its own retries.
                acks.append(
                    await self._producer.send(row["topic"], payload, key=row["key"].encode(), headers=kafka_headers)
                )
            await asyncio.gather(*acks)
            await conn.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
            )
        self.published += len(rows)
        return len(rows)
