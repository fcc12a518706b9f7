"""Composed answers about dates and stuck orders. The gateway owns no rule here: inventory
says what stock, planned batches and materials allow (and when materials are ready),
production says the first day with a free batch slot, orders says how many handling days
follow; the gateway only adds them up and puts the reasons into words."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from gateway.downstream import Downstream


class PromiseRules:
    """Orders' promise rules (its handling days), kept for `ttl` seconds. They change when
    orders is redeployed with other settings, not from one quote to the next, and asking for
    them on every quote was one of its three calls (on a busy machine each costs a wait for a
    core). A miss just asks again; concurrent misses each ask, harmlessly."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self._clock = ttl, clock
        self._rules: dict[str, Any] | None = None
        self._until = 0.0

    async def get(self, ds: Downstream) -> dict[str, Any]:
        if self._rules is not None and self._clock() < self._until:
            return self._rules
        rules = await ds.get("orders", "/promise-rules")
        self._rules, self._until = rules, self._clock() + self.ttl
        return rules


async def quote(ds: Downstream, rules: PromiseRules, sku: str, quantity: str, unit: str) -> dict[str, Any]:
    # A 422 from inventory (unknown SKU, wrong unit, half pieces) is relayed as is.
    answer, promise_rules = await asyncio.gather(
        ds.get("inventory", "/quote", params={"sku": sku, "quantity": quantity, "unit": unit}),
        rules.get(ds),
    )
    handling = int(promise_rules["handling_days"])
    ready: date | None = date.fromisoformat(answer["ready_date"]) if answer["ready_date"] else None
    words = answer["explanation"]
    if answer["needs_production"] and answer["materials_ready_on"]:
        materials_on = answer["materials_ready_on"]
        free = await ds.get("production", "/capacity/first-free", params={"from": materials_on})
        start = date.fromisoformat(free["first_free_day"])
        ready = start + timedelta(days=int(answer["lead_time_days"]))
        if start.isoformat() != materials_on:
            words += f"; production is fully booked until {start.isoformat()} (first free batch slot)"
        words += f"; batch starts {start.isoformat()}, ready {ready.isoformat()}"
    ship = ready + timedelta(days=handling) if ready else None
    words += f"; ships {handling} handling day{'s' if handling != 1 else ''} after it is ready" if ship else \
        "; no ship date can be given"
    return {
        "sku": sku, "quantity": answer["quantity"], "unit": answer["unit"], "requested_quantity": quantity,
        "requested_unit": unit, "ship_date": ship, "ready_date": ready, "basis": answer["basis"],
        "explanation": words, "materials": answer["materials"], "handling_days": handling,
        "materials_ready_on": answer["materials_ready_on"], "lead_time_days": answer["lead_time_days"],
    }


def _lead_times(shortages: list[dict[str, Any]]) -> dict[str, int | None]:
    return {s.get("material_sku") or s.get("sku"): s.get("supplier_lead_time_days") for s in shortages}


def _with_lead_time(line: dict[str, Any], leads: dict[str, int | None]) -> str:
    if line["category"] != "shortage" or not line["shortages"]:
        return line["action"]
    parts = []
    for s in line["shortages"]:
        lead = leads.get(s["material_sku"])
        qty = format(float(s["missing"]), "g")
        told = f" (supplier lead time {lead} days)" if lead is not None else " (no supplier lead time known)"
        parts.append(f"receive {qty} {s['unit']} of {s['material_sku']}{told}")
    return "; ".join(parts)


def _shop_action(order: dict[str, Any]) -> str:
    where = f"{order['channel']}/{order['shop']}"
    reason = order.get("reason") or ""
    if order["status"] == "needs_mapping":
        return f"map the shop SKU in {where} ({reason}), then the order is retried" if reason else \
            f"map the shop's SKUs in {where}"
    return f"review shop order {order.get('reference') or order['external_id']} ({reason}) and retry it"


async def stuck(ds: Downstream) -> dict[str, Any]:
    """Every order that cannot progress, from each service that holds one, each with why and
    what unblocks it. A service that is down is named in `unavailable`, its part empty."""
    calls = {
        "orders": ds.get("orders", "/stuck", params={"limit": 500}),
        "review": ds.get("orders", "/review/orders", params={"limit": 500}),
        "mapping": ds.get("channels", "/shop-orders", params={"status": "needs_mapping", "limit": 500}),
        "shop_review": ds.get("channels", "/shop-orders", params={"status": "needs_review", "limit": 500}),
        "shortages": ds.get("inventory", "/shortages"),
    }
    results = await asyncio.gather(*calls.values(), return_exceptions=True)
    got = dict(zip(calls, results))
    unavailable = sorted({k for k, v in got.items() if isinstance(v, Exception)})
    leads = _lead_times(got["shortages"]) if "shortages" not in unavailable else {}
    items: list[dict[str, Any]] = []
    if "orders" not in unavailable:
        for order in got["orders"]["items"]:
            for line in order["lines"]:
                items.append({
                    "source": "orders", "order_id": order["order_id"], "order_no": order["order_no"],
                    "customer_name": order["customer_name"], "line_no": line["line_no"], "sku": line["sku"],
                    "category": line["category"], "reason": line["reason"] or line["category"],
                    "expected_date": line["expected_date"], "promised_date": order["promised_date"],
                    "action": _with_lead_time(line, leads),
                })
    if "review" not in unavailable:
        for order in got["review"]["items"]:
            items.append({
                "source": "orders.review", "order_id": order["order_id"], "order_no": None,
                "customer_name": order["customer_name"], "category": "needs review",
                "reason": "; ".join(order["reasons"]),
                "action": "fix the shop order or the catalog (" + "; ".join(order["reasons"]) + ") and place it again",
            })
    for key in ("mapping", "shop_review"):
        if key in unavailable:
            continue
        for order in got[key]["items"]:
            items.append({
                "source": "channels", "order_id": order["order_id"], "shop_order_id": order["shop_order_id"],
                "category": order["status"].replace("_", " "), "reason": order.get("reason") or order["status"],
                "action": _shop_action(order),
            })
    return {"items": items, "total": len(items), "unavailable": unavailable}
