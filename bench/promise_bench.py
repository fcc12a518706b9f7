"""Promise benchmark: with 10,000 orders and 50,000 lots loaded, how fast does the gateway
answer a quote (GET /api/quote: inventory + production + orders composed) and place an
order (POST /api/orders)? Prints p50/p95/p99 of each and saves the report under
docs/benchmarks/. A script that prints figures, not a test: the goal (quote p95 < 50 ms)
is reported, not asserted.

The history is loaded with bulk SQL straight into the services' databases (bench/_stack.py:
orders and their lines in orders; order demands, lines and lots in inventory, most lots used
up as a real history would be). Besides the gateway's figures, each part of the quote is
timed against its service directly (where the time goes).

    python bench/promise_bench.py [--orders 10000] [--lots 50000] [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _stack import (  # noqa: E402
    MATERIALS, PRODUCTS, REPORTS, TABLE_HEAD, catalog, load_average, load_history, machine, pct, row, running_system,
    save, timed,
)

async def measure(c: httpx.AsyncClient, goods: list[str], n: int) -> dict:
    load_before = load_average()
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
            "basis": basis, "load": (load_before, load_average())}


async def parts(system, goods: list[str], n: int) -> dict[str, list[float]]:
    """Where a quote's time goes: each service's part called directly, without the gateway."""
    sizes = ["5", "10000", "200000"]
    today = date.today().isoformat()
    async with httpx.AsyncClient(timeout=30) as c:
        inv, orders, prod = system.url("inventory"), system.url("orders"), system.url("production")
        got = {}
        got["inventory GET /quote (mix)"], _ = await timed([
            (lambda sku=goods[i % len(goods)], q=sizes[i % 3]:
             c.get(f"{inv}/quote", params={"sku": sku, "quantity": q, "unit": "pcs"})) for i in range(n)])
        got["production GET /capacity/first-free"], _ = await timed([
            (lambda: c.get(f"{prod}/capacity/first-free", params={"from": today})) for _ in range(n)])
        got["orders GET /promise-rules"], _ = await timed([(lambda: c.get(f"{orders}/promise-rules")) for _ in range(n)])
    return got


def report(res: dict, loaded_s: float, args) -> str:
    q95 = pct(res["quote"], 95)
    return "\n".join([
        f"# Promise benchmark {date.today().isoformat()}",
        "",
        machine(),
        f"Loaded with bulk SQL in {loaded_s:.1f} s: {args.orders} orders (2 lines each) in orders and inventory, "
        f"{args.lots} lots in inventory (9 in 10 used up, 1 in 50 expired), {PRODUCTS} products with recipes, "
        f"{MATERIALS} materials.",
        "Requests sequential through the gateway (every service its own process, real Kafka and PostgreSQL). "
        f"Load average (1 min) when the measurement started / ended: {res['load'][0]} / {res['load'][1]} "
        "(2 cores: above 2 the requests queue for a core).",
        "",
        *TABLE_HEAD,
        row("GET /api/quote (mix: stock / batch / purchase)", res["quote"]),
        row("POST /api/orders (1 line, from stock)", res["place"]),
        "",
        "Where a quote's time goes (each part called directly on its service, same mix):",
        "",
        *TABLE_HEAD,
        *(row(name, ms) for name, ms in res["parts"].items()),
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
    ap.add_argument("--out", type=Path, default=REPORTS)
    args = ap.parse_args()
    async with running_system() as run:
        print("defining the catalog...", flush=True)
        goods, mats = await catalog(run.client)
        print(f"loading {args.orders} orders and {args.lots} lots...", flush=True)
        loaded = await load_history(run.stack, orders=args.orders, lots=args.lots, lot_skus=goods + mats, goods=goods)
        print(f"measuring {args.requests} quotes and {args.requests} placements...", flush=True)
        res = await measure(run.client, goods, args.requests)
        res["parts"] = await parts(run.system, goods, args.requests)
    save(report(res, loaded, args), f"promise-{args.orders}orders-{args.lots}lots", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))


