"""The same delivery contract as `eventkit.consumer`, with FastStream fetching: an experiment
(issue #11, item 4), selected by `consumer_kind = "faststream"`; the default stays aiokafka.
docs/faststream.md says what was measured and why this is not the default.

What FastStream carries here: the Kafka consumer's life (subscribe with our rebalance
listener, static membership, start/stop) and the fetch loop, as a batch subscriber
(`batch=True`, `AckPolicy.MANUAL`). Everything that makes the guarantees stays the kit's own
and is inherited unchanged from `EventConsumer`: swimlanes per partition and key, the offset
tracker, the handler and its inbox row in one transaction, retries, dead letters, draining on
rebalance and shutdown, commits of exactly the tracker's offsets for owned partitions.

Why the pieces are shaped this way (what FastStream 0.7 gives, read from its source):
- `KafkaAckableMessage.ack()` calls `consumer.commit()` with no offsets, i.e. commits the
  consumer's *position*: past every record fetched, applied or not. So the batch is never
  acked; commits name the tracker's offsets on the subscriber's own aiokafka consumer.
- FastStream's loop awaits the handler before the next `getmany`: the handler therefore only
  hands records to lanes and returns (waiting only while `_MAX_BUFFERED` records are in
  work), so lanes keep working while the next batch is fetched.
- An empty fetch never reaches the handler, and FastStream sleeps `batch_timeout_ms` after
  it (up to that much latency added at low load; `faststream_batch_timeout_ms`): finished
  work is committed by a task of its own here, as lanes finish records.
- An exception escaping the handler is logged and swallowed, the position has moved on: the
  batch would be skipped until the next restart. The handler here never raises (lanes retry).
- A Kafka error in the fetch loop is logged by FastStream and retried after 5 s; it is not
  visible to us, so readiness cannot turn red on it (the aiokafka consumer's does).
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaError

from eventkit.consumer import _MAX_BUFFERED, EventConsumer, _Rebalance, _Stopping

log = logging.getLogger("eventkit.faststream_consumer")

# The longest wait for a lane to finish a record before committing anyway (the aiokafka loop's idle fetch).
_IDLE_COMMIT_INTERVAL = 0.2


def _raw_records(msg):
    """The batch's ConsumerRecords as fetched: the lanes decode each envelope themselves."""
    return msg.raw_message


class FastStreamEventConsumer(EventConsumer):
    """`EventConsumer` whose fetching is a FastStream batch subscriber (see the module doc)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._broker = None
        self._subscriber = None
        self.batches = 0  # batches FastStream handed over (the experiment's tests look at it)

    async def run(self) -> None:
        if not self._topics:
            return
        await self._start_with_retry()
        committer = asyncio.create_task(self._commit_as_lanes_finish(), name="faststream commits")
        try:
            await self._stopping.wait()
        finally:
            committer.cancel()
            # Shutdown: the lanes stop between records at their fence; what they applied is committed.
            await self._drain(set(self._trackers))
            await self._commit_applied()
            try:
                await self._broker.stop()
            except Exception as exc:  # leaving the group is best effort
                log.warning("consumer: stop: %s", exc)
            self.healthy = False

    def _build(self):
        from faststream.kafka import KafkaBroker
        from faststream.middlewares import AckPolicy

        s = self._settings
        broker = KafkaBroker(
            s.kafka_bootstrap,
            client_id=f"{s.service_name}-consumer",
            # Consuming only: no producer of its own (the relay's is the only publisher), no
            # topic creation (devstack/the operator create them with their DLTs).
            consumer_only=True,
            allow_auto_create_topics=False,
            logger=log,
            log_level=logging.DEBUG,  # one access-log line per batch is noise at INFO
            apply_types=False,
        )
        subscriber = broker.subscriber(
            *self._topics,
            batch=True,
            group_id=s.group_id,
            group_instance_id=s.group_instance_id,
            session_timeout_ms=s.consumer_session_timeout_ms,
            auto_offset_reset="earliest",
            max_poll_records=_MAX_BUFFERED,
            batch_timeout_ms=s.faststream_batch_timeout_ms,
            max_records=_MAX_BUFFERED,
            listener=_Rebalance(self),
            ack_policy=AckPolicy.MANUAL,
            decoder=_raw_records,
        )
        subscriber(self._on_batch)
        return broker, subscriber

    async def _start_with_retry(self) -> None:
        backoff = 0.2
        while True:
            self._broker, self._subscriber = self._build()
            try:
                await self._broker.start()
                break
            except (KafkaError, OSError) as exc:
                log.warning("consumer: cannot reach Kafka (%s); retrying in %.1fs", exc, backoff)
                try:
                    await self._broker.stop()
                except Exception:
                    pass
                await self._idle(backoff)
                backoff = min(backoff * 2, 5.0)
        # The subscriber's own aiokafka consumer: commits, assignment and lag go to it directly.
        self._consumer = self._subscriber.consumer
        self.healthy = True
        log.info("consumer: FastStream batch subscriber on %s (group %s)", self._topics, self._settings.group_id)

    async def _on_batch(self, records) -> None:
        """FastStream's handler: hand the batch to the lanes and return, so the next fetch is
        not held by the handlers (it is held only while `_MAX_BUFFERED` records are in work)."""
        if self._stopping.is_set():
            return  # not taken: the next owner reads them from the commit
        self.batches += 1
        by_partition: dict = {}
        for record in records:
            by_partition.setdefault(self._tp(record), []).append(record)
        self._dispatch(by_partition)
        await self._commit_applied()
        try:
            await self._room()
        except _Stopping:
            return
        # The next fetch takes only what fits (FastStream reads this attribute per fetch).
        self._subscriber.max_records = max(1, _MAX_BUFFERED - self._buffered)

    @staticmethod
    def _tp(record):
        from aiokafka import TopicPartition

        return TopicPartition(record.topic, record.partition)

    async def _commit_as_lanes_finish(self) -> None:
        """Commit as lanes finish records, not only when a batch arrives. While a commit is in
        flight more records finish: the next commit takes them all (one broker round trip each)."""
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._progress.wait(), timeout=_IDLE_COMMIT_INTERVAL)
            except asyncio.TimeoutError:
                pass
            # Cleared before committing: a record finished during the commit wakes the next round.
            self._progress.clear()
            try:
                await self._commit_applied()
            except Exception as exc:  # never let the committer die: the next round retries
                log.warning("consumer: commit: %s", exc)
