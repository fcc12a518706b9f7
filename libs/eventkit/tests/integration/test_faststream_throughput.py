"""Throughput and low-load latency of the two consumers on the same machine, interleaved
(docs/faststream.md quotes the figures). A measurement, not a timed test: it runs only with
EVENTKIT_BENCH=1 and prints a table; the one assertion is that every record was applied once.

Throughput: a backlog of N OrderPlaced on 100 keys is there before the probe starts; the rate
is N over the span of the inbox rows' transaction times (first to last apply), so the group
join and process start do not count. Latency: single records sent one at a time at random
gaps while the probe is idle; the delay is the consuming transaction's start minus the send."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import uuid
from datetime import datetime, timezone

import pytest

from devstack.pytest_plugin import DbUrl
from devstack.waiting import poll
from probe_rig import ProbeRig, all_applied, applied_is, new_prefix, placed_envelope

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("EVENTKIT_BENCH"), reason="a measurement: EVENTKIT_BENCH=1 to run"),
]

N = int(os.environ.get("EVENTKIT_BENCH_N", "3000"))
ROUNDS = int(os.environ.get("EVENTKIT_BENCH_ROUNDS", "3"))
PINGS = int(os.environ.get("EVENTKIT_BENCH_PINGS", "30"))
KINDS = ("aiokafka", "faststream")


def _fresh_rig(stack, tmp_path) -> ProbeRig:
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = DbUrl(stack.create_database(name))
    url.name, url.dsn = name, stack.dsn(name)
    logs = tmp_path / name
    logs.mkdir()
    return ProbeRig(stack, url, new_prefix(), logs)


async def _throughput(rig: ProbeRig, kind: str) -> float:
    await rig.create_topics()
    await rig.produce_many([(f"key-{i % 100}", placed_envelope(f"o-{i}").to_bytes()) for i in range(N)])
    await rig.start("a", PROBE_CONSUMER_KIND=kind)
    applied = await poll(lambda: all_applied(rig, N), deadline=300, interval=0.5, what=f"{N} applied")
    assert set(applied.values()) == {1}
    (span,) = await rig.sql("SELECT EXTRACT(EPOCH FROM max(processed_at) - min(processed_at)) AS s FROM inbox")
    return N / float(span["s"])


async def _latencies(rig: ProbeRig) -> list[float]:
    sent: dict[str, float] = {}
    for i in range(PINGS):
        await asyncio.sleep(random.uniform(0.05, 0.6))  # a gap between sends, not a wait for the system
        order = f"ping-{i}"
        sent[order] = datetime.now(timezone.utc).timestamp()
        await rig.produce(f"ping-{i}", placed_envelope(order).to_bytes())
        await poll(lambda o=order: applied_is(rig, o, 1), deadline=30, interval=0.02, what=f"{order} applied")
    rows = await rig.sql("SELECT correlation_id, EXTRACT(EPOCH FROM processed_at) AS t FROM inbox "
                         "WHERE correlation_id LIKE 'ping-%'")
    return [(float(r["t"]) - sent[r["correlation_id"]]) * 1000 for r in rows]


async def test_throughput_and_latency_of_both_consumers(stack, tmp_path):
    rates: dict[str, list[float]] = {k: [] for k in KINDS}
    lat: dict[str, list[float]] = {k: [] for k in KINDS}
    load: list[str] = []
    for round_no in range(ROUNDS):
        kinds = KINDS if round_no % 2 == 0 else tuple(reversed(KINDS))  # interleaved, order alternating
        for kind in kinds:
            rig = _fresh_rig(stack, tmp_path)
            try:
                load.append(os.getloadavg().__repr__())
                rates[kind].append(await _throughput(rig, kind))
                lat[kind].extend(await _latencies(rig))
            finally:
                for p in rig.procs:
                    p.kill()
    lines = [f"N={N} rounds={ROUNDS} pings/run={PINGS}; load averages before each run: {load}"]
    for kind in KINDS:
        r, ms = rates[kind], sorted(lat[kind])
        lines.append(
            f"{kind:10s} msgs/s runs={[round(x) for x in r]} median={statistics.median(r):.0f} "
            f"spread={min(r):.0f}-{max(r):.0f} | latency ms p50={statistics.median(ms):.0f} "
            f"p90={ms[int(len(ms) * 0.9)]:.0f} max={ms[-1]:.0f}"
        )
    ratio = statistics.median(rates["faststream"]) / statistics.median(rates["aiokafka"])
    lines.append(f"faststream/aiokafka median throughput: {ratio:.2f}")
    report = "\n".join(lines)
    print("\n" + report)
    out = os.environ.get("EVENTKIT_BENCH_OUT")
    if out:
        with open(out, "a") as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} uptime: {os.getloadavg()}\n{report}\n\n")
