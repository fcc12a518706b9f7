"""The outbox relay: the only code that publishes a service's events.

It takes unpublished outbox rows in id order, sends them with the idempotent producer
(acks=all), waits for every acknowledgement, then marks them published. A crash anywhere
before the mark means the rows are sent again: consumers deduplicate by event_id. An advisory
lock held by the relay's own connection for as long as it lives makes one relay at a time work
on a database, so two instances of a service never interleave a key's events; the next one
takes over when that connection ends (its process stopped or died, the database restarted).

Neither the read nor the mark needs a transaction around it (the lock, not a row lock, keeps
other relays out), so a batch costs two round trips, not four (BEGIN and COMMIT were half of
it, on every event at low load).

A row that cannot be published because of what it is (bigger than the producer's
max_request_size, a topic that does not exist while the cluster answers, refused by the
broker for good) is parked: its attempts and last error are recorded and it is set aside.
Later rows of the same topic+key wait behind it (per-key order); every other row flows.
An operator fixes the cause and unparks it (`python -m eventkit.outbox`). A broker outage
parks nothing: the batch is retried with backoff.
"""

from __future__ import annotations

import asyncio
import json
import logging

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError, UnknownTopicOrPartitionError

from eventkit.db import asyncpg_dsn
from eventkit.errors import is_transient
from eventkit.metrics import ServiceMetrics

log = logging.getLogger("eventkit.relay")

_RELAY_LOCK = 7_301_002

# Unpublished rows in id order, except those parked and those behind a parked row of their
# topic+key (which must not overtake it).
_NEXT_ROWS = """
SELECT o.id, o.topic, o.key, o.payload, o.headers FROM outbox o
WHERE o.published_at IS NULL AND o.parked_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM outbox p
                  WHERE p.parked_at IS NOT NULL AND p.published_at IS NULL
                    AND p.topic = o.topic AND p.key = o.key AND p.id < o.id)
ORDER BY o.id LIMIT $1
"""
_PARK = (
    "UPDATE outbox SET attempts = attempts + 1, last_error = $2, parked_at = now() WHERE id = $1"
)


class OutboxRelay:
    def __init__(self, database_url: str, producer: AIOKafkaProducer, *, batch_size: int = 500, poll_interval: float = 1.0,
                 metrics: ServiceMetrics | None = None):
        self._metrics = metrics or ServiceMetrics()
        self._dsn = asyncpg_dsn(database_url)
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self._listen_conn: asyncpg.Connection | None = None
        self._leader = False  # this relay's connection holds the database's relay lock
        self.published = 0
        self.parked = 0
        self.healthy = False

    def wake(self) -> None:
        """Look for committed rows now (a transaction of this process wrote some)."""
        self._wake.set()

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
            # This connection only selects rows and marks them published or parked. A mark
            # lost in a crash (not yet flushed to disk) means the rows are published again and
            # consumers deduplicate them by event_id, so its commits need not wait for the WAL
            # flush; every other transaction of the service keeps synchronous_commit.
            self._conn = await asyncpg.connect(self._dsn, server_settings={"synchronous_commit": "off"})
            self._leader = False  # a new connection holds no lock
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
        self._leader = False

    async def publish_batch(self) -> int:
        """Publish the next rows; return how many were taken (published or parked)."""
        conn = self._conn
        assert conn is not None
        if not self._leader:
            # Session-level and re-entrant: asked for until held, then never again on this
            # connection (it is released when the connection ends).
            self._leader = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK))
            if not self._leader:
                return 0  # another instance is relaying this database
        rows = await conn.fetch(_NEXT_ROWS, self._batch_size)
        if not rows:
            return 0
        sent, parked, outage = await self._send(rows)
        if outage is not None:
            # Nothing is marked: the whole batch goes again (consumers deduplicate), so a
            # key's rows cannot be split around the outage.
            raise outage
        if sent:
            await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", sent)
        for row_id, exc in parked:
            log.error("relay: outbox row %d parked: %s: %s", row_id, type(exc).__name__, exc)
            await conn.execute(_PARK, row_id, f"{type(exc).__name__}: {exc}"[:2000])
        self.published += len(sent)
        self.parked += len(parked)
        self._metrics.outbox_published.inc(len(sent))
        self._metrics.outbox_parked_total.inc(len(parked))
        return len(sent) + len(parked)

    async def _send(self, rows) -> tuple[list[int], list[tuple[int, BaseException]], BaseException | None]:
        """Send `rows`; return the ids acknowledged, the rows to park, and an outage if any."""
        parked: list[tuple[int, BaseException]] = []
        blocked: set[tuple[str, str]] = set()  # keys with a row parked earlier in this batch
        pending = []
        for row in rows:
            key = (row["topic"], row["key"])
            if key in blocked:
                continue  # behind its parked predecessor: taken again once that one is unparked
            headers = json.loads(row["headers"]) if isinstance(row["headers"], str) else dict(row["headers"])
            kafka_headers = [(k, str(v).encode()) for k, v in headers.items()]
            try:
                # send() only enqueues; rows go out in id order per partition, and the
                # idempotent producer keeps that order through its own retries.
                ack = await self._producer.send(row["topic"], bytes(row["payload"]), key=row["key"].encode(),
                                                headers=kafka_headers)
            except Exception as exc:
                if not await self._is_the_rows_fault(exc):
                    return [], [], exc
                parked.append((row["id"], exc))
                blocked.add(key)
                continue
            pending.append((row, ack))
        results = await asyncio.gather(*(ack for _, ack in pending), return_exceptions=True)
        sent: list[int] = []
        for (row, _), result in zip(pending, results):
            if not isinstance(result, BaseException):
                sent.append(row["id"])
            elif isinstance(result, KafkaError) and not result.retriable:
                # Refused by the broker for good (e.g. over the topic's max.message.bytes).
                # Rows of its key sent after it in this batch have gone ahead of it: rare
                # (the producer's own size check catches most), and logged.
                parked.append((row["id"], result))
            else:
                return [], [], result
        return sent, parked, None

    async def _is_the_rows_fault(self, exc: BaseException) -> bool:
        if isinstance(exc, MessageSizeTooLargeError):
            return True
        if isinstance(exc, UnknownTopicOrPartitionError):
            # Also what a send says when no broker answers: only a cluster that answers
            # makes it the topic's absence.
            try:
                await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout=5)
                return True
            except Exception:
                return False
        # Not Kafka's word (a header that will not encode...): the row's content.
        return not isinstance(exc, (KafkaError, OSError, asyncio.TimeoutError))
