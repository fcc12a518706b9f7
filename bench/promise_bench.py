"""Promise benchmark: with 10,000 orders and 50,000 lots loaded, how fast does the gateway
answer a quote (GET /api/quote: inventory + production + orders composed) and place an
order (POST /api/orders)? Prints p50/p95/p99 of each and saves the report under
docs/benchmarks/. A script that prints figures, not a test: the goal (quote p95 < 50 ms)
is reported, not asserted.

The history is loaded with bulk SQL straight into the services' databases (orders and their
lines in orders; order demands, lines and lots in inventory, most lots used up as a real
history would be): the point is the size of the tables the requests run against, not how
fast the saga loads them (bench/saga_bench.py measures that).

    python bench/promise_bench.py [--orders 10000] [--lots 50000] [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import socket
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx

from devstack import sessions
from devstack.catalog import replicated
from devstack.stack import Stack
from devstack.system import System

REPO = Path(__file__).resolve().parents[1]
KEY = {"X-API-Key": "dev-operator-key"}
PRODUCTS, MATERIALS = 40, 20


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


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

ORDERS_SQL = """
INSERT INTO orders (order_id, order_no, customer, customer_name, customer_email, placed_at, status, progress,
                    content_hash, promised_date, expected_date)
SELECT 'pb-ord-' || g, 'PB-' || g, jsonb_build_object('name', 'Customer ' || g, 'email', 'c' || g || '@example.com'),
       'Customer ' || g, 'c' || g || '@example.com', now() - (g || ' minutes')::interval,
       (ARRAY['shipped','delivered','ready_to_ship','awaiting_materials','materials_reserved'])[1 + g % 5],
       (ARRAY['shipped','delivered','ready_to_ship','awaiting_materials','materials_reserved'])[1 + g % 5],
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


async def load(stack: Stack, orders: int, lots: int, goods: list[str], mats: list[str]) -> float:
    started = time.perf_counter()
    inv = await asyncpg.connect(stack.dsn(stack.database("inventory")))
    try:
        await inv.execute(LOTS_SQL, lots, goods + mats)
        await inv.execute(EXPIRE_SQL)
        await inv.execute(DEMANDS_SQL, orders)
        await inv.execute(DEMAND_LINES_SQL, orders, goods)
        await inv.execute("ANALYZE")
    finally:
        await inv.close()
    ords = await asyncpg.connect(stack.dsn(stack.database("orders")))
    try:
        await ords.execute(ORDERS_SQL, orders)
        await ords.execute(LINES_SQL, orders, goods)
        await ords.execute("ANALYZE")
    finally:
        await ords.close()
    return time.perf_counter() - started


async def timed(calls) -> tuple[list[float], dict[str, int]]:
    ms, statuses = [], {}
    for call in calls:
        t0 = time.perf_counter()
        r = await call()
        ms.append((time.perf_counter() - t0) * 1000)
        statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
    return ms, statuses


async def measure(c: httpx.AsyncClient, goods: list[str], n: int) -> dict:
    # Warm up connections and caches once (the first request of a process is not the case measured).
    for sku in goods[:5]:
        await c.get("/api/quote", params={"sku": sku, "quantity": "10", "unit": "pcs"})
    # A mix: small quantities from stock, larger ones needing a batch, huge ones needing purchase.
    # (each SKU holds about 8,000 free: 5 from stock, 10,000 needs a batch whose materials are
    # on hand, 200,000 needs materials bought first)
    sizes = ["5", "10000", "200000"]
    quote_calls = [
        (lambda sku=goods[i % len(goods)], q=sizes[i % 3]:
         c.get("/api/quote", params={"sku": sku, "quantity": q, "unit": "pcs"}))
        for i in range(n)
    ]
    quote_ms, quote_status = await timed(quote_calls)
    basis = {}
    for sku, q in ((goods[0], s) for s in sizes):
        body = (await c.get("/api/quote", params={"sku": sku, "quantity": q, "unit": "pcs"})).json()
        basis[q] = body.get("basis")
    order_calls = [
        (lambda i=i: c.post("/api/orders", json={
            "customer": {"name": f"Bench {i}", "email": f"bench{i}@example.com"},
            "lines": [{"sku": goods[i % len(goods)], "quantity": "2", "unit": "pcs"}]}))
        for i in range(n)
    ]
    place_ms, place_status = await timed(order_calls)
    return {"quote": quote_ms, "quote_status": quote_status, "place": place_ms, "place_status": place_status,
            "basis": basis}


def report(res: dict, loaded_s: float, args) -> str:
    def row(name, ms):
        return f"| {name} | {len(ms)} | {pct(ms, 50):.1f} | {pct(ms, 95):.1f} | {pct(ms, 99):.1f} | {max(ms):.1f} |"

    q95 = pct(res["quote"], 95)
    return "\n".join([
        f"# Promise benchmark {date.today().isoformat()} on {socket.gethostname()}",
        "",
        f"Machine: {platform.platform()}, Python {platform.python_version()}, {__import__('os').cpu_count()} cores.",
        f"Loaded with bulk SQL in {loaded_s:.1f} s: {args.orders} orders (2 lines each) in orders and inventory, "
        f"{args.lots} lots in inventory (9 in 10 used up, 1 in 50 expired), {PRODUCTS} products with recipes, "
        f"{MATERIALS} materials.",
        "Requests sequential through the gateway (every service its own process, real Kafka and PostgreSQL).",
        "",
        "| request | n | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|",
        row("GET /api/quote (mix: stock / batch / purchase)", res["quote"]),
        row("POST /api/orders (1 line, from stock)", res["place"]),
        "",
        f"Answers: quote {res['quote_status']}, placement {res['place_status']}; "
        f"quote basis for 5 / 10000 / 200000 pcs: {res['basis']}.",
        f"Goal quote p95 < 50 ms: {'met' if q95 < 50 else 'NOT met'} ({q95:.1f} ms).",
        "",
    ])


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=10_000)
    ap.add_argument("--lots", type=int, default=50_000)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks")
    args = ap.parse_args()
    tmp = sessions.new_session_dir()
    stack = Stack.from_env(Path(tmp) / "stack", verbose=True)
    try:
        stack.start()
        system = System(stack, Path(tmp) / "system", spans=False)
        try:
            print("starting services...", flush=True)
            await system.start()
            async with httpx.AsyncClient(base_url=system.url("gateway"), headers=KEY, timeout=30) as c:
                print("defining the catalog...", flush=True)
                goods, mats = await catalog(c)
                print(f"loading {args.orders} orders and {args.lots} lots...", flush=True)
                loaded = await load(stack, args.orders, args.lots, goods, mats)
                print(f"measuring {args.requests} quotes and {args.requests} placements...", flush=True)
                res = await measure(c, goods, args.requests)
        finally:
            system.stop()
    finally:
        stack.stop()
        sessions.remove_session_dir(tmp)
    text = report(res, loaded, args)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{date.today().isoformat()}-{socket.gethostname()}-promise-{args.orders}orders-{args.lots}lots.md"
    path.write_text(text)
    print(f"saved {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
