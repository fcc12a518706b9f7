"""Operator actions through the gateway, as a user of the API would take them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx

from harness import ok, poll


def tag() -> str:
    """A short unique suffix so tests sharing one running system never share SKUs or orders."""
    return uuid.uuid4().hex[:6].upper()


async def item(c: httpx.AsyncClient, sku: str, kind: str, unit: str, **extra) -> None:
    await ok(await c.post("/api/items", json={"sku": sku, "name": sku.title(), "kind": kind, "base_unit": unit, **extra}))
    # Orders and production check orders and recipes against their replicas of the catalog
    # (ItemDefined, about a second behind): an operator would see "the catalog may be catching
    # up" for that second; the tests wait until the item has arrived everywhere.
    await poll(lambda: _everywhere(c, sku), deadline=30, what=f"item {sku} in every catalog replica")


async def _everywhere(c: httpx.AsyncClient, sku: str) -> bool:
    r = await c.get(f"/api/items/{sku}/replicas")
    return r.status_code == 200 and r.json()["everywhere"]


async def receive(c: httpx.AsyncClient, sku: str, qty: str, unit: str, *, expiry_days: int | None = 365,
                  lot_no: str | None = None, supplier_lot_no: str | None = None, received_days: int = 0) -> dict:
    body = {"sku": sku, "quantity": qty, "unit": unit,
            "received_date": (date.today() + timedelta(days=received_days)).isoformat()}
    if expiry_days is not None:
        body["expiry_date"] = (date.today() + timedelta(days=expiry_days)).isoformat()
    if lot_no:
        body["lot_no"] = lot_no
    if supplier_lot_no:
        body["supplier_lot_no"] = supplier_lot_no
    return await ok(await c.post("/api/receipts", json=body))


async def recipe(c: httpx.AsyncClient, sku: str, ingredients: list[tuple[str, str, str]], *, batch_min="50",
                 batch_multiple="25", expected_yield="1", lead_time_days=2, shelf_life_days=365) -> dict:
    body = {
        "sku": sku, "name": f"{sku} recipe", "output_unit": "pcs",
        "ingredients": [{"sku": s, "quantity": q, "unit": u} for s, q, u in ingredients],
        "batch_min": batch_min, "batch_multiple": batch_multiple, "expected_yield": expected_yield,
        "lead_time_days": lead_time_days, "shelf_life_days": shelf_life_days,
    }
    return await ok(await c.post("/api/recipes", json=body))


async def recipe_replicated(c: httpx.AsyncClient, sku: str, ingredients: list[str]) -> None:
    """Inventory learns recipes through RecipePublished; before an order relies on a recipe
    the test waits until inventory's plans would see it (its item list shows materials)."""
    # A MTO order placed before the replica exists would (correctly) wait as "no recipe".
    await poll(lambda: _has_recipe(c, sku), deadline=30, what=f"recipe {sku} replicated to inventory")


async def _has_recipe(c: httpx.AsyncClient, sku: str) -> bool:
    r = await c.get(f"/api/items/{sku}/replicas")
    return r.status_code == 200 and r.json()["inventory_recipe_version"] is not None and r.json()["everywhere"]


async def place(c: httpx.AsyncClient, lines: list[tuple[str, str, str]], *, name="Ada Lovelace",
                email="ada@example.com", priority: int = 0) -> str:
    body = {
        "customer": {"name": name, "email": email, "address": "1 Analytical Way"},
        "lines": [{"sku": s, "quantity": q, "unit": u} for s, q, u in lines],
        "priority": priority,
    }
    return (await ok(await c.post("/api/orders", json=body)))["order_id"]


async def order(c: httpx.AsyncClient, order_id: str) -> dict:
    return await ok(await c.get(f"/api/orders/{order_id}"))


async def wait_status(c: httpx.AsyncClient, order_id: str, *statuses: str, deadline: float = 60) -> dict:
    async def reached():
        view = await order(c, order_id)
        return view if view["order"]["status"] in statuses else None

    return await poll(reached, deadline=deadline, what=f"order {order_id} in {statuses}")


async def batches_of(c: httpx.AsyncClient, order_id: str, n: int = 1) -> list[dict]:
    async def found():
        view = await order(c, order_id)
        return view["batches"] if len(view["batches"]) >= n else None

    return await poll(found, deadline=60, what=f"{n} batch(es) for order {order_id}")


async def produce(c: httpx.AsyncClient, batch_id: str, output: str | None = None, **complete) -> dict:
    await ok(await c.post(f"/api/batches/{batch_id}/start"))
    body = dict(complete)
    if output is None:
        output = (await ok(await c.get(f"/api/batches/{batch_id}")))["planned_quantity"]
    body["output_quantity"] = output
    return await ok(await c.post(f"/api/batches/{batch_id}/complete", json=body))


async def ship(c: httpx.AsyncClient, order_id: str, carrier="DHL", tracking_no: str | None = None) -> dict:
    async def prepared():
        r = await ok(await c.get("/api/shipments", params={"order_id": order_id}))
        items = r["items"] if isinstance(r, dict) else r
        return [s for s in items if s["status"] == "prepared"]

    shipment = (await poll(prepared, deadline=60, what=f"a prepared shipment for {order_id}"))[0]
    tracking_no = tracking_no or f"TRK{tag()}"
    await ok(await c.post(f"/api/shipments/{shipment['shipment_id']}/ship",
                          json={"carrier": carrier, "tracking_no": tracking_no}))
    return {**shipment, "tracking_no": tracking_no}


async def lots(c: httpx.AsyncClient, sku: str) -> dict[str, dict]:
    r = await ok(await c.get("/api/lots", params={"sku": sku}))
    items = r["items"] if isinstance(r, dict) else r
    return {lot["lot_no"]: lot for lot in items}


async def ledger(c: httpx.AsyncClient, sku: str) -> list[dict]:
    r = await ok(await c.get("/api/ledger", params={"sku": sku}))
    return r["items"] if isinstance(r, dict) else r


def d(x) -> Decimal:
    return Decimal(str(x))
