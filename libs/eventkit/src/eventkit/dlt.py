"""Dead-letter inspection and replay for operators.

    python -m eventkit.dlt list   [--bootstrap host:port] [--prefix P]
    python -m eventkit.dlt show   <dlt-topic> [--limit 20]
    python -m eventkit.dlt replay <dlt-topic> [--offset N ...] [--partition P]

`list` counts dead letters per topic; `show` prints each with the reason from its headers;
`replay` sends dead letters back to their original topic (same key, value and trace headers,
plus `dlt.replayed_from`) once the cause is fixed. Replaying is safe to repeat: consumers
deduplicate by event_id, and a message that was never applied was never recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from eventkit.topic_reader import partitions_of, read_to_end

_DLT_HEADERS_PREFIX = "dlt."


async def dead_letter_counts(bootstrap: str, prefix: str = "") -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = sorted(t for t in await admin.list_topics() if t.endswith(".dlt") and t.startswith(prefix))
    finally:
        await admin.close()
    partitions: dict[str, list[TopicPartition]] = {t: [] for t in topics}
    for tp in await partitions_of(bootstrap, topics):
        partitions[tp.topic].append(tp)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        counts = {}
        for topic, parts in partitions.items():
            begin, end = await consumer.beginning_offsets(parts), await consumer.end_offsets(parts)
            counts[topic] = sum(end[tp] - begin[tp] for tp in parts)
        return counts
    finally:
        await consumer.stop()


def describe(record) -> dict:
    headers = {k: v.decode("utf-8", "replace") for k, v in (record.headers or [])}
    try:
        value = json.loads(record.value)
        summary = {k: value.get(k) for k in ("event_type", "event_id", "correlation_id")}
    except (ValueError, TypeError, AttributeError):
        summary = {"raw": (record.value or b"")[:200].decode("utf-8", "replace")}
    return {
        "dlt": f"{record.topic}:{record.partition}:{record.offset}",
        "original": f"{headers.get('dlt.original.topic')}:{headers.get('dlt.original.partition')}:{headers.get('dlt.original.offset')}",
        "group": headers.get("dlt.consumer.group"),
        "attempts": headers.get("dlt.attempts"),
        "error": headers.get("dlt.error.message"),
        "failed_at": headers.get("dlt.failed_at"),
        **summary,
    }


async def replay(bootstrap: str, dlt_topic: str, offsets: set[int] | None = None, partition: int | None = None) -> int:
    records = [
        r for r in await read_to_end(bootstrap, [dlt_topic])
        if (offsets is None or r.offset in offsets) and (partition is None or r.partition == partition)
    ]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for r in records:
            headers = dict(r.headers or [])
            original = headers.get("dlt.original.topic", b"").decode() or dlt_topic.removesuffix(".dlt")
            kept = [(k, v) for k, v in (r.headers or []) if not k.startswith(_DLT_HEADERS_PREFIX)]
            kept.append(("dlt.replayed_from", f"{r.topic}:{r.partition}:{r.offset}".encode()))
            await producer.send_and_wait(original, r.value, key=r.key, headers=kept)
    finally:
        await producer.stop()
    return len(records)


async def _main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m eventkit.dlt", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", default="127.0.0.1:9092")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ls = sub.add_parser("list")
    ls.add_argument("--prefix", default="")
    show = sub.add_parser("show")
    show.add_argument("topic")
    show.add_argument("--limit", type=int, default=20)
    rp = sub.add_parser("replay")
    rp.add_argument("topic")
    rp.add_argument("--offset", type=int, action="append")
    rp.add_argument("--partition", type=int)
    args = ap.parse_args(argv)
    if args.cmd == "list":
        for topic, n in (await dead_letter_counts(args.bootstrap, args.prefix)).items():
            print(f"{n:8d}  {topic}")
    elif args.cmd == "show":
        for r in (await read_to_end(args.bootstrap, [args.topic]))[-args.limit:]:
            print(json.dumps(describe(r)))
    else:
        n = await replay(args.bootstrap, args.topic, set(args.offset) if args.offset else None, args.partition)
        print(f"replayed {n} dead letter(s) from {args.topic}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(sys.argv[1:])))
