"""What the history benchmarks share (bench/promise_bench.py, bench/trace_bench.py): a
running system (Kafka, PostgreSQL, every service its own process) on a throwaway stack, a
catalog of products with recipes defined through the gateway, a history of orders and lots
loaded with bulk SQL straight into the services' databases, and the figures.

The history is loaded in bulk because the point is the size of the tables the requests run
against, not how fast the saga loads them (bench/saga_bench.py measures that)."""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import asyncpg
import httpx

from devstack import sessions
from devstack.catalog import replicated
from devstack.stack import Stack
from devstack.system import System

REPO = Path(__file__).resolve().parents[1]
REPORTS = REPO / "docs" / "benchmarks"
KEY = {"X-API-Key": "dev-operator-key"}
PRODUCTS, MATERIALS = 40, 20


@dataclass
class Running:
    stack: Stack
    system: System
    client: httpx.AsyncClient  # the gateway, with the operator's key


@asynccontextmanager
async def running_system() -> AsyncIterator[Running]:
    tmp = sessions.new_session_dir()
    stack = Stack.from_env(Path(tmp) / "stack", verbose=True)
    try:
        stack.start()
        system = System(stack, Path(tmp) / "system", spans=False)
        try:
            print("starting services...", flush=True)
            await system.start()
            async with httpx.AsyncClient(base_url=system.url("gateway"), headers=KEY, timeout=30) as c:
                yield Running(stack, system, c)
        finally:
            system.stop()
    finally:
        stack.stop()
        sessions.remove_session_dir(tmp)


# -- the catalog -------------------------------------------------------------------------------
async def catalog(c: httpx.AsyncClient) -> tuple[list[str], list[str]]:
    """40 finished goods (each with a recipe of 2 materials, lead times 7-20 days), 20 materials."""
    goods = [f"PB-FG-{i:02d}" for i in range(PRODUCTS)]
    mats = [f"PB-MAT-{i:02d}" for i in range(MATERIALS)]
    for i, sku in enumerate(mats):
        body = {"sku": sku, "name": sku, "kind": "raw", "base_unit": "kg", "supplier_lead_time_days": 7 + i % 14}
        (await c.post("/api/items", json=body)).raise_for_status()
    for sku in goods:
        (await c.post("/api/items", json={"sku": sku, "name": sku, "kind": "finished", "base_unit": "pcs"})).raise_for_status()
    await replicated(c, goods + mats)
    for i, sku in enumerate(goods):
        recipe = {
            "sku": sku, "name": sku, "output_unit": "pcs", "batch_min": "50", "batch_multiple": "25",
            "expected_yield": "0.95", "lead_time_days": 2 + i % 3,
            "ingredients": [{"sku": mats[i % MATERIALS], "quantity": "0.1", "unit": "kg"},
                            {"sku": mats[(i + 7) % MATERIALS], "quantity": "0.05", "unit": "kg"}],
        }
        (await c.post("/api/recipes", json=recipe)).raise_for_status()
    # Recipes reach inventory's replica through Kafka: wait for the last one.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = await c.get(f"/api/items/{goods[-1]}/replicas")
        if r.status_code == 200 and r.json().get("inventory_recipe_version"):
            break
        await asyncio.sleep(0.2)
    return goods, mats


# -- the history -------------------------------------------------------------------------------
# Lots pb-lot-1..n spread over the SKUs given (lot g holds SKU number g % len(skus)).
LOTS_SQL = """
INSERT INTO lots (lot_id, sku, lot_no, source, received_date, expiry_date, on_hand, reserved, allocated)
SELECT 'pb-lot-' || g, sku, 'PB-' || g, 'receipt', CURRENT_DATE - (g % 300), CURRENT_DATE + 30 + (g % 400),
       100, 0,
       -- nine in ten lots of every SKU are used up (history); the rest hold free stock
       -- (every SKU's lots are g = k*n + i: (g / n) % 10 picks one in ten of each)
       CASE WHEN (g / array_length($2::text[], 1)) % 10 = 0 THEN 0 ELSE 100 END
FROM generate_series(1, $1) g,
     LATERAL (SELECT (ARRAY[$2::text[]])[1][1 + (g % array_length($2::text[], 1))] AS sku) s
"""
# Expired lots too (never promised): every 50th lot expired yesterday.
EXPIRE_SQL = "UPDATE lots SET expiry_date = CURRENT_DATE - 1 WHERE lot_id LIKE 'pb-lot-%' AND (substr(lot_id, 8)::int % 50) = 1"

# Orders pb-ord-1..n, two lines each: line n of order g is SKU (g + n) % len(goods).
STATUSES = "ARRAY['shipped','delivered','ready_to_ship','awaiting_materials','materials_reserved']"
ORDERS_SQL = f"""
INSERT INTO orders (order_id, order_no, customer, customer_name, customer_email, placed_at, status, progress,
                    content_hash, promised_date, expected_date)
SELECT 'pb-ord-' || g, 'PB-' || g, jsonb_build_object('name', 'Customer ' || g, 'email', 'c' || g || '@example.com'),
       'Customer ' || g, 'c' || g || '@example.com', now() - (g || ' minutes')::interval,
       ({STATUSES})[1 + g % 5], ({STATUSES})[1 + g % 5],
       md5(g::text), CURRENT_DATE + (g % 20), CURRENT_DATE + (g % 25)
FROM generate_series(1, $1) g
"""
LINES_SQL = """
INSERT INTO order_lines (order_id, line_no, sku, quantity, unit)
SELECT 'pb-ord-' || g, n, (ARRAY[$2::text[]])[1][1 + ((g + n) % array_length($2::text[], 1))], 5, 'pcs'
FROM generate_series(1, $1) g, generate_series(1, 2) n
"""
DEMANDS_SQL = """
INSERT INTO order_demands (order_id, order_no, priority, placed_at, customer)
SELECT 'pb-ord-' || g, 'PB-' || g, 0, now() - (g || ' minutes')::interval, 'Customer ' || g FROM generate_series(1, $1) g
"""
DEMAND_LINES_SQL = """
INSERT INTO demand_lines (order_id, line_no, sku, quantity, unit, ordered_quantity, ordered_unit)
SELECT 'pb-ord-' || g, n, (ARRAY[$2::text[]])[1][1 + ((g + n) % array_length($2::text[], 1))], 5, 'pcs', 5, 'pcs'
FROM generate_series(1, $1) g, generate_series(1, 2) n
"""

Statement = tuple[str, tuple]


async def _run(stack: Stack, db: str, statements: Sequence[Statement]) -> None:
    conn = await asyncpg.connect(stack.dsn(stack.database(db)))
    try:
        for sql, args in statements:
            await conn.execute(sql, *args)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def load_history(stack: Stack, *, orders: int, lots: int, lot_skus: list[str], goods: list[str],
                       inventory_after: Sequence[Statement] = ()) -> float:
    """`lots` receipt lots over `lot_skus`, `orders` orders in orders and inventory, then the
    caller's own inventory statements (a lineage on top of them). Seconds it took."""
    started = time.perf_counter()
    await _run(stack, "inventory", [
        (LOTS_SQL, (lots, lot_skus)), (EXPIRE_SQL, ()), (DEMANDS_SQL, (orders,)), (DEMAND_LINES_SQL, (orders, goods)),
        *inventory_after,
    ])
    await _run(stack, "orders", [(ORDERS_SQL, (orders,)), (LINES_SQL, (orders, goods))])
    return time.perf_counter() - started


# -- figures -----------------------------------------------------------------------------------
def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def row(name: str, ms: list[float]) -> str:
    return f"| {name} | {len(ms)} | {pct(ms, 50):.1f} | {pct(ms, 95):.1f} | {pct(ms, 99):.1f} | {max(ms):.1f} |"


TABLE_HEAD = ["| what | n | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---|---|---|---|"]


def load_average() -> str:
    """The machine's 1-minute load average now (figures on a busy machine say so)."""
    return f"{os.getloadavg()[0]:.1f}"


def machine() -> str:
    return f"Machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores."


async def timed(calls: Sequence[Callable[[], Awaitable[httpx.Response]]]) -> tuple[list[float], dict[str, int]]:
    """Each call in turn (sequential): its time in ms, and the answers' statuses counted."""
    ms, statuses = [], {}
    for call in calls:
        t0 = time.perf_counter()
        r = await call()
        ms.append((time.perf_counter() - t0) * 1000)
        statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
    return ms, statuses


def save(text: str, name: str, out: Path = REPORTS) -> Path:
    """Print the report and keep it as docs/benchmarks/<date>-<host>-<name>.md."""
    print(text)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{date.today().isoformat()}-{socket.gethostname()}-{name}.md"
    path.write_text(text)
    print(f"saved {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return path
