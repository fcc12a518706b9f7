"""Smoke test of the production-shaped system that `docker compose up` runs: through the
published gateway only (as an operator's client would), one order from stock and one made
to order go to shipment, and the customers' e-mails are read back from the mail catcher.

    python deploy/smoke/compose_smoke.py [--gateway http://localhost:8100] \\
        [--mail http://localhost:8025] [--key <operator key>]   # key default: $SMOKE_API_KEY

Exit 0 and one line per step with its time; on failure, the step that did not happen.
Every wait polls with a deadline (no fixed sleeps). Safe to run again on the same system:
every run uses SKUs and customers of its own.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx


class SmokeFailed(Exception):
    pass


def poll(check: Callable[[], Any], deadline: float, what: str, interval: float = 0.5) -> Any:
    end = time.monotonic() + deadline
    while True:
        try:
            found = check()
        except httpx.TransportError:  # a service restarting: keep waiting within the deadline
            found = None
        if found:
            return found
        if time.monotonic() > end:
            raise SmokeFailed(f"no {what} within {deadline:.0f} s")
        time.sleep(interval)


class Smoke:
    def __init__(self, gateway: str, mail: str, key: str) -> None:
        self.api = httpx.Client(base_url=gateway, headers={"X-API-Key": key}, timeout=15)
        self.mail = httpx.Client(base_url=mail, timeout=10)
        self.t0 = time.monotonic()
        self.tag = uuid.uuid4().hex[:6].upper()

    def step(self, text: str) -> None:
        print(f"[smoke {time.monotonic() - self.t0:6.1f} s] {text}", flush=True)

    def call(self, method: str, path: str, **kw) -> Any:
        r = self.api.request(method, path, **kw)
        if r.status_code not in (200, 201, 202):
            raise SmokeFailed(f"{method} {path}: {r.status_code} {r.text[:500]}")
        return r.json()

    # -- operator actions ----------------------------------------------------------------------
    def item(self, sku: str, kind: str, unit: str, **extra) -> None:
        self.call("POST", "/api/items", json={"sku": sku, "name": sku.title(), "kind": kind, "base_unit": unit, **extra})
        # Orders and production check against their replicas of the catalog (ItemDefined).
        poll(lambda: self.replicas(sku).get("everywhere"), 60, f"item {sku} in every catalog replica")

    def replicas(self, sku: str) -> dict:
        r = self.api.get(f"/api/items/{sku}/replicas")
        return r.json() if r.status_code == 200 else {}

    def receive(self, sku: str, qty: str, unit: str, lot_no: str, expiry_days: int | None = 365) -> dict:
        body = {"sku": sku, "quantity": qty, "unit": unit, "received_date": date.today().isoformat(), "lot_no": lot_no}
        if expiry_days is not None:
            body["expiry_date"] = (date.today() + timedelta(days=expiry_days)).isoformat()
        return self.call("POST", "/api/receipts", json=body)

    def place(self, sku: str, qty: str, email: str) -> str:
        # Not ASCII on purpose: the databases must store customers' names as sent (UTF-8).
        body = {"customer": {"name": "Zoë Smoke-Test", "email": email, "address": "1 Rue de Compose, Bâtiment B"},
                "lines": [{"sku": sku, "quantity": qty, "unit": "pcs"}]}
        return self.call("POST", "/api/orders", json=body)["order_id"]

    def status(self, order_id: str, *wanted: str, deadline: float = 90) -> dict:
        def reached():
            view = self.call("GET", f"/api/orders/{order_id}")
            return view if view["order"]["status"] in wanted else None
        return poll(reached, deadline, f"order {order_id} in {wanted}")

    def ship(self, order_id: str) -> str:
        def prepared():
            r = self.call("GET", "/api/shipments", params={"order_id": order_id})
            items = r["items"] if isinstance(r, dict) else r
            return [s for s in items if s["status"] == "prepared"]
        shipment = poll(prepared, 60, f"a prepared shipment for {order_id}")[0]
        tracking = f"TRK{self.tag}{order_id[:4]}"
        self.call("POST", f"/api/shipments/{shipment['shipment_id']}/ship", json={"carrier": "DHL", "tracking_no": tracking})
        return tracking

    def mail_to(self, email: str, tracking: str) -> dict:
        def arrived():
            r = self.mail.get("/messages", params={"to": email})
            return next((m for m in r.json() if tracking in m["body"]), None) if r.status_code == 200 else None
        return poll(arrived, 60, f"e-mail to {email} naming {tracking} in the mail catcher")

    # -- the two flows ---------------------------------------------------------------------------
    def from_stock(self) -> None:
        fg = f"SMOKE-SOAP-{self.tag}"
        self.item(fg, "finished", "pcs")
        self.receive(fg, "20", "pcs", lot_no=f"SOAP-{self.tag}")
        email = f"stock-{self.tag.lower()}@example.com"
        order_id = self.place(fg, "5", email)
        self.step(f"order from stock {order_id} placed")
        self.status(order_id, "ready_to_ship")
        self.step("  allocated from stock: ready to ship")
        tracking = self.ship(order_id)
        self.status(order_id, "shipped")
        self.step(f"  shipped ({tracking})")
        self.mail_to(email, tracking)
        self.step(f"  the customer's e-mail is in the mail catcher ({email})")

    def made_to_order(self) -> None:
        fg, wax, jar = f"SMOKE-BALM-{self.tag}", f"SMOKE-WAX-{self.tag}", f"SMOKE-JAR-{self.tag}"
        self.item(fg, "finished", "pcs", shelf_life_days=365)
        self.item(wax, "raw", "kg")
        self.item(jar, "raw", "pcs")
        self.receive(wax, "10", "kg", lot_no=f"W-{self.tag}")
        self.receive(jar, "500", "pcs", lot_no=f"J-{self.tag}", expiry_days=None)
        self.call("POST", "/api/recipes", json={
            "sku": fg, "name": f"{fg} recipe", "output_unit": "pcs",
            "ingredients": [{"sku": wax, "quantity": "15", "unit": "g"}, {"sku": jar, "quantity": "1", "unit": "pcs"}],
            "batch_min": "50", "batch_multiple": "25", "expected_yield": "1", "lead_time_days": 2, "shelf_life_days": 365,
        })
        poll(lambda: self.replicas(fg).get("inventory_recipe_version") is not None, 60, f"recipe {fg} known to inventory")
        email = f"mto-{self.tag.lower()}@example.com"
        order_id = self.place(fg, "30", email)
        self.step(f"made-to-order {order_id} placed")
        view = self.status(order_id, "materials_reserved", "in_production")
        batch = poll(lambda: self.call("GET", f"/api/orders/{order_id}")["batches"], 60, f"a batch for {order_id}")[0]
        self.step(f"  materials reserved, batch {batch['batch_no']} planned ({view['order']['status']})")
        self.call("POST", f"/api/batches/{batch['batch_id']}/start")
        planned = self.call("GET", f"/api/batches/{batch['batch_id']}")["planned_quantity"]
        self.call("POST", f"/api/batches/{batch['batch_id']}/complete", json={"output_quantity": planned})
        self.status(order_id, "ready_to_ship")
        self.step(f"  batch completed ({planned} pcs): ready to ship")
        tracking = self.ship(order_id)
        self.status(order_id, "shipped")
        self.step(f"  shipped ({tracking})")
        self.mail_to(email, tracking)
        self.step(f"  the customer's e-mail is in the mail catcher ({email})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gateway", default="http://localhost:8100")
    ap.add_argument("--mail", default="http://localhost:8025")
    ap.add_argument("--key", default=os.environ.get("SMOKE_API_KEY", ""))
    args = ap.parse_args()
    if not args.key:
        ap.error("an operator API key is needed: --key or SMOKE_API_KEY")
    smoke = Smoke(args.gateway, args.mail, args.key)
    try:
        poll(lambda: smoke.api.get("/health/ready").status_code == 200, 120, "ready gateway")
        smoke.step("gateway ready (every service ready)")
        smoke.from_stock()
        smoke.made_to_order()
    except SmokeFailed as exc:
        smoke.step(f"FAILED: {exc}")
        return 1
    smoke.step("compose smoke passed: 2 orders shipped, 2 e-mails read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
