"""Saga benchmark: drives N orders (from stock and made to order) through the running system
on real Kafka and PostgreSQL, with the simulated shop floor acting at once, and prints:
sustained orders/s, OrderPlaced->Shipped latency percentiles, per-hop latency, peak RSS of
each service process, and in the same run this machine's ceilings (pgbench commits/s, raw
Kafka produce+consume msgs/s) so the ratio is visible. Saves the report under docs/benchmarks/.

    python bench/saga_bench.py [--orders 200] [--concurrency 16] [--mto-share 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from devstack import sessions
from devstack.catalog import replicated
from devstack.floor import ShopFloor
from devstack.postgres import bin_dir
from devstack.stack import Stack
from devstack.system import System
from devstack.waiting import poll

REPO = Path(__file__).resolve().parents[1]
KEY = {"X-API-Key": "dev-operator-key"}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


async def setup_catalog(c: httpx.AsyncClient, tag: str, orders: int) -> tuple[str, str]:
    stock, made, mat = f"BENCH-STOCK-{tag}", f"BENCH-MADE-{tag}", f"BENCH-MAT-{tag}"
    for sku, kind, unit in ((stock, "finished", "pcs"), (made, "finished", "pcs"), (mat, "raw", "kg")):
        r = await c.post("/api/items", json={"sku": sku, "name": sku, "kind": kind, "base_unit": unit})
        r.raise_for_status()
    await replicated(c, (stock, made, mat))  # recipes and orders are checked against the replicas
    expiry = (date.today() + timedelta(days=365)).isoformat()
    (await c.post("/api/receipts", json={"sku": stock, "quantity": str(orders * 2), "unit": "pcs", "expiry_date": expiry})).raise_for_status()
    (await c.post("/api/receipts", json={"sku": mat, "quantity": str(orders * 10), "unit": "kg", "expiry_date": expiry})).raise_for_status()
    (await c.post("/api/recipes", json={
        "sku": made, "name": made, "output_unit": "pcs", "ingredients": [{"sku": mat, "quantity": "0.1", "unit": "kg"}],
        "batch_min": "2", "batch_multiple": "2", "expected_yield": "1", "lead_time_days": 0, "shelf_life_days": 365,
    })).raise_for_status()
    return stock, made


async def recipe_replicated(system: System, sku: str) -> None:
    async def known():
        async with httpx.AsyncClient() as h:
            return (await h.get(f"{system.url('inventory')}/recipes/{sku}")).status_code == 200

    await poll(known, deadline=60, what="recipe replicated to inventory")


async def drive(system: System, n: int, concurrency: int, mto_share: float) -> dict:
    tag = uuid.uuid4().hex[:6].upper()
    async with httpx.AsyncClient(base_url=system.gateway, headers=KEY, timeout=60) as c:
        stock, made = await setup_catalog(c, tag, n)
        await recipe_replicated(system, made)
        floor = ShopFloor(system.gateway)
        stop = asyncio.Event()
        floor_task = asyncio.create_task(floor.run(stop))
        sem = asyncio.Semaphore(concurrency)
        kinds: dict[str, str] = {}

        async def place(i: int) -> None:
            sku = made if (i % 10) < mto_share * 10 else stock  # interleaved, whatever n is
            async with sem:
                r = await c.post("/api/orders", json={
                    "customer": {"name": f"Bench {i}", "email": f"bench{i}@example.com"},
                    "lines": [{"sku": sku, "quantity": "2", "unit": "pcs"}],
                })
                r.raise_for_status()
                kinds[r.json()["order_id"]] = "made" if sku == made else "stock"

        t0 = time.monotonic()
        await asyncio.gather(*(place(i) for i in range(n)))
        placed_s = time.monotonic() - t0

        async with httpx.AsyncClient(base_url=system.url("orders"), timeout=60) as orders_api:
            async def all_shipped():
                r = await orders_api.get("/orders", params={"status": "shipped", "limit": 1})
                return r.json()["total"] >= n

            await poll(all_shipped, deadline=max(120, n * 2), interval=0.25, what=f"{n} orders shipped")
            wall = time.monotonic() - t0
            stop.set()
            await floor_task
            await floor.close()
            views = await asyncio.gather(*(orders_api.get(f"/orders/{oid}") for oid in kinds))
    latencies: dict[str, list[float]] = defaultdict(list)
    hops: dict[str, list[float]] = defaultdict(list)
    for r in views:
        view = r.json()
        timeline = view["timeline"]
        at = [datetime.fromisoformat(e["at"]) for e in timeline]
        first = {e["event_type"]: a for e, a in zip(timeline, at)}
        if "OrderPlaced" in first and "Shipped" in first:
            latencies[kinds[view["order_id"]]].append((first["Shipped"] - first["OrderPlaced"]).total_seconds() * 1000)
        for (e1, a1), (e2, a2) in zip(zip(timeline, at), zip(timeline[1:], at[1:])):
            hops[f"{e1['event_type']} -> {e2['event_type']}"].append((a2 - a1).total_seconds() * 1000)
    return {"n": n, "wall_s": wall, "placed_s": placed_s, "latencies": latencies, "hops": hops,
            "floor": (floor.batches_done, floor.shipments_done)}


def rss_peaks(system: System) -> dict[str, float]:
    out = {}
    for name, pid in system.pids().items():
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out[name] = int(line.split()[1]) / 1024
        except OSError:
            pass
    return out


def pgbench_ceiling(stack: Stack) -> dict[str, float]:
    """PostgreSQL commits/s on this machine: pgbench's simple-update, 8 clients and 1 client."""
    pg = bin_dir()
    stack.create_database("pgbench")
    url = stack.dsn("pgbench")
    subprocess.run([str(pg / "pgbench"), "-i", "-q", "-s", "4", url], check=True, capture_output=True)
    out = {}
    for clients in (8, 1):
        res = subprocess.run([str(pg / "pgbench"), "-b", "simple-update", "-c", str(clients), "-j", "2", "-T", "8", url],
                             check=True, capture_output=True, text=True)
        tps = [ln for ln in res.stdout.splitlines() if ln.startswith("tps")]
        out[f"{clients} client(s)"] = float(tps[0].split("=")[1].split()[0])
    return out


async def kafka_ceiling(bootstrap: str, n: int = 50_000, size: int = 400) -> dict[str, float]:
    """Raw Kafka on this machine: idempotent acks=all produce, then consume, of n messages."""
    topic = f"bench.raw.{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 4, 1)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    payload = b"x" * size
    t0 = time.monotonic()
    futures = [await producer.send(topic, payload, key=str(i % 64).encode()) for i in range(n)]
    await asyncio.gather(*futures)
    produce_s = time.monotonic() - t0
    await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None,
                                enable_auto_commit=False, max_poll_records=5000)
    await consumer.start()
    got, t0 = 0, time.monotonic()
    while got < n:
        for recs in (await consumer.getmany(timeout_ms=500)).values():
            got += len(recs)
    consume_s = time.monotonic() - t0
    await consumer.stop()
    await admin.delete_topics([topic])
    await admin.close()
    return {"produce msgs/s": n / produce_s, "consume msgs/s": n / consume_s}


def report(res: dict, rss: dict, pg: dict, kafka: dict, args) -> str:
    lines = [f"# Saga benchmark, {date.today().isoformat()}", ""]
    lines.append(f"Machine: {socket.gethostname()}, {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}")
    lines.append(f"Run: {res['n']} orders ({args.mto_share:.0%} made to order), {args.concurrency} concurrent clients, "
                 f"one instance per service, simulated floor acting at once "
                 f"({res['floor'][0]} batches, {res['floor'][1]} shipments).")
    lines += ["", "## Throughput", "",
              f"- sustained: **{res['n'] / res['wall_s']:.1f} orders/s** (first placed -> last shipped: {res['wall_s']:.1f} s)",
              f"- placement alone: {res['n'] / res['placed_s']:.1f} orders/s through the gateway", "",
              "## Saga latency, OrderPlaced -> Shipped (ms)", "", "| path | n | p50 | p95 | p99 | max |", "|---|---|---|---|---|---|"]
    for kind, vals in sorted(res["latencies"].items()):
        lines.append(f"| {kind} | {len(vals)} | {pct(vals, 50):.0f} | {pct(vals, 95):.0f} | {pct(vals, 99):.0f} | {max(vals):.0f} |")
    lines += ["", "## Per hop (ms between consecutive timeline entries of an order, as the orders service recorded them)", "",
              "| hop | n | p50 | p95 | p99 |", "|---|---|---|---|---|"]
    for hop, vals in sorted(res["hops"].items(), key=lambda kv: -len(kv[1])):
        lines.append(f"| {hop} | {len(vals)} | {pct(vals, 50):.0f} | {pct(vals, 95):.0f} | {pct(vals, 99):.0f} |")
    lines += ["", "## Peak memory (VmHWM) per process", "", "| process | MiB |", "|---|---|"]
    lines += [f"| {name} | {mib:.0f} |" for name, mib in sorted(rss.items())]
    lines += ["", "## This machine's ceilings, same run", "",
              *(f"- PostgreSQL pgbench simple-update, {k}: {v:,.0f} tps" for k, v in pg.items()),
              *(f"- Kafka raw {k}: {v:,.0f}" for k, v in kafka.items()), ""]
    return "\n".join(lines)


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--mto-share", type=float, default=0.5)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks")
    args = ap.parse_args()
    tmp = sessions.new_session_dir()  # enterable by the PostgreSQL server's OS user
    stack = Stack.from_env(Path(tmp) / "stack", verbose=True)
    try:
        stack.start()
        system = System(stack, Path(tmp) / "system", spans=False)
        try:
            print("starting services...", flush=True)
            await system.start()
            print(f"driving {args.orders} orders...", flush=True)
            res = await drive(system, args.orders, args.concurrency, args.mto_share)
            rss = rss_peaks(system)
        finally:
            system.stop()
        print("measuring machine ceilings...", flush=True)
        pg = pgbench_ceiling(stack)
        kafka = await kafka_ceiling(stack.bootstrap)
    finally:
        stack.stop()
        sessions.remove_session_dir(tmp)
    text = report(res, rss, pg, kafka, args)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{date.today().isoformat()}-{socket.gethostname()}-{args.orders}orders-c{args.concurrency}.md"
    path.write_text(text)
    print(f"saved {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
