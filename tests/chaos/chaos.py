"""The chaos suite: with every service a separate process and two instances of inventory and
production, push orders of mixed kinds (from stock, made to order, mixed, short of material,
some cancelled) while service processes are SIGKILLed and restarted at random, the Kafka
broker is restarted once and PostgreSQL once; then wait for quiescence and audit the
invariants (see invariants.py). Prints a summary.

    python tests/chaos/chaos.py [--orders 300] [--seed N]     (make chaos)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from devstack.catalog import replicated
from devstack import sessions  # noqa: E402
from devstack.floor import ShopFloor  # noqa: E402
from devstack.lag import groups_caught_up  # noqa: E402
from devstack.stack import Stack  # noqa: E402
from devstack.system import System  # noqa: E402
from invariants import Audit, audit, unpublished  # noqa: E402

KEY = {"X-API-Key": "dev-operator-key"}
RETRYABLE = (httpx.TransportError,)


@dataclass
class Config:
    orders: int = 300
    cancel_share: float = 0.1
    kill_every: tuple[float, float] = (2.0, 5.0)
    # Orders are spread over this long, so the broker and database restarts (at 30% and 60%
    # of it) hit a system with work in flight.
    duration: float = 120.0
    concurrency: int = 6
    seed: int = 0
    converge_deadline: float = 600.0


@dataclass
class Report:
    orders: int = 0
    cancels_requested: int = 0
    cancels_refused: int = 0
    kills: dict[str, int] = field(default_factory=dict)
    kafka_restarts: int = 0
    pg_restarts: int = 0
    chaos_s: float = 0.0
    converge_s: float = 0.0
    audit: Audit | None = None

    def render(self) -> str:
        lines = [
            "chaos summary",
            f"  orders placed        {self.orders} (cancel requested for {self.cancels_requested}, refused {self.cancels_refused})",
            f"  processes SIGKILLed  {sum(self.kills.values())}: " + ", ".join(f"{k} x{v}" for k, v in sorted(self.kills.items())),
            f"  Kafka restarts       {self.kafka_restarts}",
            f"  PostgreSQL restarts  {self.pg_restarts}",
            f"  chaos phase          {self.chaos_s:.1f} s",
            f"  time to converge     {self.converge_s:.1f} s",
        ]
        if self.audit:
            lines.append("  final statuses       " + ", ".join(f"{k}: {v}" for k, v in sorted(self.audit.statuses.items())))
            for c in self.audit.checks:
                lines.append(f"  [{'ok' if c.ok else 'FAIL'}] {c.name}" + (f": {c.detail}" if c.detail else ""))
            lines.append(f"  RESULT: {'all invariants hold' if self.audit.ok else 'INVARIANTS BROKEN'}")
        return "\n".join(lines)


async def call(c: httpx.AsyncClient, method: str, path: str, ok=(200, 201), deadline: float = 120, **kw) -> httpx.Response:
    """An operator's call that retries through outages (5xx, unreachable) until the deadline."""
    end = time.monotonic() + deadline
    while True:
        try:
            r = await c.request(method, path, **kw)
            if r.status_code in ok or (400 <= r.status_code < 500 and r.status_code not in (404, 408, 429)):
                return r
        except RETRYABLE:
            pass
        if time.monotonic() > end:
            raise AssertionError(f"{method} {path} kept failing")
        await asyncio.sleep(0.3)


async def catalog(c: httpx.AsyncClient, t: str, n: int) -> dict[str, str]:
    skus = {"stock": f"CH-STOCK-{t}", "made": f"CH-MADE-{t}", "scarce": f"CH-SCARCE-{t}",
            "m1": f"CH-M1-{t}", "m2": f"CH-M2-{t}", "m3": f"CH-M3-{t}"}
    expiry = (date.today() + timedelta(days=400)).isoformat()
    for key in ("stock", "made", "scarce"):
        await call(c, "POST", "/api/items", json={"sku": skus[key], "name": skus[key], "kind": "finished", "base_unit": "pcs"})
    for key, unit in (("m1", "kg"), ("m2", "pcs"), ("m3", "kg")):
        await call(c, "POST", "/api/items", json={"sku": skus[key], "name": skus[key], "kind": "raw", "base_unit": unit})
    await replicated(c, skus.values())  # recipes and orders are checked against the replicas
    # Finished stock for about two thirds of the stock demand: the rest waits or is made.
    receipts = [("stock", n, "pcs"), ("m1", n, "kg"), ("m2", n * 10, "pcs"), ("m3", 2, "kg")]
    for key, qty, unit in receipts:
        await call(c, "POST", "/api/receipts", json={"sku": skus[key], "quantity": str(qty), "unit": unit, "expiry_date": expiry})
    for key, ingredients in (("made", [("m1", "0.1", "kg"), ("m2", "1", "pcs")]), ("scarce", [("m3", "0.5", "kg")])):
        await call(c, "POST", "/api/recipes", json={
            "sku": skus[key], "name": skus[key], "output_unit": "pcs",
            "ingredients": [{"sku": skus[s], "quantity": q, "unit": u} for s, q, u in ingredients],
            "batch_min": "4", "batch_multiple": "2", "expected_yield": "1", "lead_time_days": 1, "shelf_life_days": 300,
        })
    await replicated(c, [], with_recipe=[skus["made"], skus["scarce"]])
    return skus


def order_lines(rng: random.Random, skus: dict[str, str]) -> list[dict]:
    kind = rng.choices(["stock", "made", "mixed", "scarce"], weights=[4, 3, 2, 1])[0]
    line = lambda k, q: {"sku": skus[k], "quantity": str(q), "unit": "pcs"}  # noqa: E731
    if kind == "mixed":
        return [line("stock", rng.randint(1, 3)), line("made", rng.randint(1, 5))]
    return [line(kind, rng.randint(1, 4))]


async def chaos_monkey(system: System, stack: Stack, rng: random.Random, cfg: Config, stop: asyncio.Event, report: Report) -> None:
    victims = [p for ps in system.procs.values() for p in ps]
    started = time.monotonic()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=rng.uniform(*cfg.kill_every))
            return
        except asyncio.TimeoutError:
            pass
        elapsed = time.monotonic() - started
        if report.kafka_restarts == 0 and elapsed > 0.3 * cfg.duration:
            stack.kafka.kill()
            await asyncio.sleep(rng.uniform(0.5, 2))
            await asyncio.to_thread(stack.kafka.start)
            report.kafka_restarts += 1
            continue
        if report.pg_restarts == 0 and elapsed > 0.6 * cfg.duration:
            await asyncio.to_thread(stack.postgres.stop)
            await asyncio.sleep(rng.uniform(0.5, 2))
            await asyncio.to_thread(stack.postgres.start)
            report.pg_restarts += 1
            continue
        victim = rng.choice(victims)
        victim.kill()
        report.kills[victim.name] = report.kills.get(victim.name, 0) + 1
        await asyncio.sleep(rng.uniform(0.2, 1.5))
        victim.start()


async def quiescent(system: System, stack: Stack, floor: ShopFloor) -> bool:
    if any(n for n in (await unpublished(stack)).values()):
        return False
    if not await groups_caught_up(stack):
        return False
    return await floor.step() == 0


async def run(cfg: Config, workdir: Path) -> Report:
    rng = random.Random(cfg.seed)
    report = Report()
    stack = Stack.from_env(workdir / "stack", verbose=True)
    stack.start()
    system = System(stack, workdir / "system", spans=False)
    try:
        await system.start(extra_instances={"inventory": 1, "production": 1})
        async with httpx.AsyncClient(base_url=system.gateway, headers=KEY, timeout=30) as c:
            skus = await catalog(c, uuid.uuid4().hex[:6].upper(), cfg.orders)
            async with httpx.AsyncClient() as h:
                for key in ("made", "scarce"):
                    url = f"{system.url('inventory')}/recipes/{skus[key]}"
                    end = time.monotonic() + 60
                    while (await h.get(url)).status_code != 200 and time.monotonic() < end:
                        await asyncio.sleep(0.2)
            floor = ShopFloor(system.gateway)
            stop_floor, stop_chaos = asyncio.Event(), asyncio.Event()
            floor_task = asyncio.create_task(floor.run(stop_floor))
            t0 = time.monotonic()
            monkey = asyncio.create_task(chaos_monkey(system, stack, rng, cfg, stop_chaos, report))
            placed: set[str] = set()
            sem = asyncio.Semaphore(cfg.concurrency)

            async def one(i: int) -> None:
                await asyncio.sleep(i * cfg.duration / cfg.orders)  # a steady stream, not a burst
                order_id = f"chaos-{cfg.seed}-{i}-{uuid.uuid4().hex[:6]}"
                body = {"order_id": order_id, "customer": {"name": f"Chaos {i}", "email": f"c{i}@example.com"},
                        "lines": order_lines(rng, skus), "priority": rng.randint(0, 2)}
                async with sem:
                    r = await call(c, "POST", "/api/orders", json=body)  # order_id: retrying is idempotent
                    assert r.status_code in (200, 201), r.text
                    placed.add(order_id)
                if rng.random() < cfg.cancel_share:
                    await asyncio.sleep(rng.uniform(0, 3))
                    report.cancels_requested += 1
                    r = await call(c, "POST", f"/api/orders/{order_id}/cancel", ok=(200, 409), json={"reason": "chaos"})
                    report.cancels_refused += r.status_code == 409

            await asyncio.gather(*(one(i) for i in range(cfg.orders)))
            # Both restarts happen even if the orders went in faster than planned.
            while report.pg_restarts == 0 and not monkey.done():
                await asyncio.sleep(0.5)
            stop_chaos.set()
            await monkey
            report.chaos_s = time.monotonic() - t0
            report.orders = len(placed)

            # Everything comes back; then wait until nothing moves any more.
            for ps in system.procs.values():
                for p in ps:
                    if not p.running:
                        p.start()
            await system.wait_ready(deadline=120)
            t1 = time.monotonic()
            stable = 0
            while stable < 3 and time.monotonic() - t1 < cfg.converge_deadline:
                try:
                    stable = stable + 1 if await quiescent(system, stack, floor) else 0
                except (httpx.HTTPError, OSError):
                    stable = 0
                await asyncio.sleep(1.0)
            report.converge_s = time.monotonic() - t1
            stop_floor.set()
            await floor_task
            await floor.close()
            report.audit = await audit(stack, placed)
    finally:
        system.stop()
        stack.stop()
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=300)
    ap.add_argument("--seed", type=int, default=int(time.time()) % 10_000)
    args = ap.parse_args()
    workdir = sessions.new_session_dir()  # enterable by the PostgreSQL server's OS user
    try:
        report = asyncio.run(run(Config(orders=args.orders, seed=args.seed), workdir))
    finally:
        sessions.remove_session_dir(workdir)
    print(f"seed {args.seed}")
    print(report.render())
    return 0 if report.audit and report.audit.ok else 1


if __name__ == "__main__":
    sys.exit(main())
