"""Throughput and low-load latency of the two consumers on the same machine, interleaved
(docs/faststream.md quotes the figures). A measurement, not a timed test: it runs only with
EVENTKIT_BENCH=1 and prints a table; the one assertion is that every record was applied once.

Throughput: a backlog of N OrderPlaced on 100 keys is there before the probe starts; the rate
is N over the span of the inbox rows' transaction times (first to last apply), so the group
join and process start do not count; the probe process' own CPU time per message over the same
phase is less sensitive to the other work on a shared machine. Latency: single records sent
one at a time at random gaps while the probe is idle; the delay is the consuming
transaction's start minus the send. Idle: the probe's CPU over 10 s with nothing to read."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import uuid
from datetime import datetime, timezone

import psutil
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
# label -> the probe's environment
KINDS = {
    "aiokafka": {"PROBE_CONSUMER_KIND": "aiokafka"},
    "faststream": {"PROBE_CONSUMER_KIND": "faststream"},
    "faststream-20ms": {"PROBE_CONSUMER_KIND": "faststream", "PROBE_FASTSTREAM_BATCH_TIMEOUT_MS": "20"},
}
IDLE_SECONDS = 10.0


def _fresh_rig(stack, tmp_path) -> ProbeRig:
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = DbUrl(stack.create_database(name))
    url.name, url.dsn = name, stack.dsn(name)
    logs = tmp_path / name
    logs.mkdir()
    return ProbeRig(stack, url, new_prefix(), logs)


def _cpu_seconds(proc) -> float:
    times = psutil.Process(proc._proc.pid).cpu_times()
    return times.user + times.system


async def _throughput(rig: ProbeRig, env: dict[str, str]) -> tuple[float, float, object]:
    """(messages/s, probe CPU ms per message, the probe)."""
    await rig.create_topics()
    await rig.produce_many([(f"key-{i % 100}", placed_envelope(f"o-{i}").to_bytes()) for i in range(N)])
    proc = await rig.start("a", **env)
    cpu_before = _cpu_seconds(proc)  # up and healthy: start-up cost excluded (it may have applied a few)
    applied = await poll(lambda: all_applied(rig, N), deadline=300, interval=0.5, what=f"{N} applied")
    cpu = _cpu_seconds(proc) - cpu_before
    assert set(applied.values()) == {1}
    (span,) = await rig.sql("SELECT EXTRACT(EPOCH FROM max(processed_at) - min(processed_at)) AS s FROM inbox")
    return N / float(span["s"]), cpu * 1000 / N, proc


async def _idle_cpu_ms_per_s(proc) -> float:
    before = _cpu_seconds(proc)
    await asyncio.sleep(IDLE_SECONDS)  # the measurement window itself, not a wait for the system
    return (_cpu_seconds(proc) - before) * 1000 / IDLE_SECONDS


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


@pytest.mark.timeout(3600)  # a dozen runs of a few thousand records each
async def test_throughput_and_latency_of_both_consumers(stack, tmp_path):
    rates: dict[str, list[float]] = {k: [] for k in KINDS}
    cpu: dict[str, list[float]] = {k: [] for k in KINDS}
    idle: dict[str, list[float]] = {k: [] for k in KINDS}
    lat: dict[str, list[float]] = {k: [] for k in KINDS}
    load: list[str] = []
    for round_no in range(ROUNDS):
        labels = list(KINDS) if round_no % 2 == 0 else list(reversed(KINDS))  # interleaved, order alternating
        for label in labels:
            rig = _fresh_rig(stack, tmp_path)
            try:
                load.append(f"{os.getloadavg()[0]:.1f}")
                rate, cpu_per_msg, proc = await _throughput(rig, KINDS[label])
                rates[label].append(rate)
                cpu[label].append(cpu_per_msg)
                lat[label].extend(await _latencies(rig))
                idle[label].append(await _idle_cpu_ms_per_s(proc))
            finally:
                for p in rig.procs:
                    p.kill()
    lines = [f"N={N} rounds={ROUNDS} pings/run={PINGS}; 1-min load average before each run: {' '.join(load)}"]
    for label in KINDS:
        r, c, ms = rates[label], cpu[label], sorted(lat[label])
        lines.append(
            f"{label:16s} msgs/s runs={[round(x) for x in r]} median={statistics.median(r):.0f} | "
            f"probe CPU ms/msg runs={[round(x, 2) for x in c]} median={statistics.median(c):.2f} | "
            f"latency ms p50={statistics.median(ms):.0f} p90={ms[int(len(ms) * 0.9)]:.0f} max={ms[-1]:.0f} | "
            f"idle CPU ms/s median={statistics.median(idle[label]):.1f}"
        )
    for label in KINDS:
        if label != "aiokafka":
            lines.append(
                f"{label}/aiokafka: median throughput {statistics.median(rates[label]) / statistics.median(rates['aiokafka']):.2f}, "
                f"median CPU per msg {statistics.median(cpu[label]) / statistics.median(cpu['aiokafka']):.2f}")
    report = "\n".join(lines)
    print("\n" + report)
    out = os.environ.get("EVENTKIT_BENCH_OUT")
    if out:
        with open(out, "a") as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} uptime: {os.getloadavg()}\n{report}\n\n")
