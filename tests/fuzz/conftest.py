"""The running system the fuzz tests hammer: every service as its own process on a namespace
of the session's servers ("fuzz": own topics, databases, consumer groups), with a little
catalog created through the gateway so that some generated calls find something (an item,
a lot, a recipe, an order) instead of answering 404 to everything."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import pytest

from devstack.catalog import replicated
from devstack.system import System

OPERATOR_KEY = "dev-operator-key"


@dataclass(frozen=True)
class Catalog:
    finished: str  # a finished good with stock
    raw: str  # a raw material with stock, used by the recipe
    made: str  # a finished good made to order from `raw`
    lot_id: str
    order_id: str


def gateway_client(system: System, key: str = OPERATOR_KEY) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=system.gateway, headers={"X-API-Key": key}, timeout=15)


async def _ok(response: httpx.Response) -> dict:
    assert response.status_code in (200, 201), f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    return response.json()


# Package scope (tests/fuzz is a package): the processes stop when the fuzz tests are done,
# not at the end of a session that goes on to start other systems.
@pytest.fixture(scope="package")
async def system(stack, tmp_path_factory):
    sys_ = System(stack.namespace("fuzz"), tmp_path_factory.mktemp("fuzz-system"))
    try:
        await sys_.start()
        yield sys_
    finally:
        sys_.stop()


@pytest.fixture(scope="package")
async def catalog(system) -> Catalog:
    t = uuid.uuid4().hex[:6].upper()
    finished, raw, made = f"FZ-SOAP-{t}", f"FZ-WAX-{t}", f"FZ-BALM-{t}"
    today = date.today()
    async with gateway_client(system) as c:
        for sku, kind, unit in ((finished, "finished", "pcs"), (raw, "raw", "kg"), (made, "finished", "pcs")):
            await _ok(await c.post("/api/items", json={"sku": sku, "name": sku.title(), "kind": kind, "base_unit": unit}))
        await replicated(c, (finished, raw, made))  # recipes and orders are checked against the replicas
        lot = await _ok(await c.post("/api/receipts", json={
            "sku": finished, "quantity": "100", "unit": "pcs", "lot_no": f"L-{t}",
            "received_date": today.isoformat(), "expiry_date": (today + timedelta(days=365)).isoformat()}))
        await _ok(await c.post("/api/receipts", json={
            "sku": raw, "quantity": "50", "unit": "kg", "lot_no": f"W-{t}", "received_date": today.isoformat()}))
        await _ok(await c.post("/api/recipes", json={
            "sku": made, "name": f"{made} recipe", "output_unit": "pcs",
            "ingredients": [{"sku": raw, "quantity": "15", "unit": "g"}],
            "batch_min": "50", "batch_multiple": "25", "expected_yield": "1", "lead_time_days": 2,
            "shelf_life_days": 365}))
        await replicated(c, [], with_recipe=[made])
        order = await _ok(await c.post("/api/orders", json={
            "customer": {"name": "Fuzz Tester", "email": "fuzz@example.com", "address": "1 Random Way"},
            "lines": [{"sku": finished, "quantity": "3", "unit": "pcs"}]}))
    return Catalog(finished=finished, raw=raw, made=made, lot_id=lot["lot_id"], order_id=order["order_id"])
