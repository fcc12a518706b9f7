"""Inventory as it runs (bootstrap.build(...).serve()) on the devstack's Kafka and PostgreSQL:
two instances in one consumer group; OrderPlaced from Kafka (one delivered twice) are
applied once each, and two orders racing for material enough for one end with exactly one
MaterialsReserved and one MaterialsShort on Kafka."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
from inventory_testkit import D, in_days, order, recipe

from contracts.topics import topic_for
from devstack.testing import group_caught_up, kafka_settings, publish, read_until, serving
from devstack.waiting import poll
from eventkit.migrate import migrate
from inventory.bootstrap import MIGRATIONS, build
from inventory.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
async def two_instances(stack, fresh_db):
    await migrate(str(fresh_db), MIGRATIONS)
    group = f"inventory-test-{uuid.uuid4().hex[:8]}"
    settings = [Settings(**kafka_settings(stack, fresh_db, "inventory", consumer_group=group)) for _ in range(2)]
    async with serving(build, *settings, ready_deadline=90, stop_deadline=60) as clients:
        yield clients, group, fresh_db


async def test_two_instances_apply_each_order_once_and_never_oversell(stack, two_instances):
    (api, _), group, db = two_instances
    assert (await api.post("/items", json={"sku": "OIL", "name": "Oil", "kind": "raw", "base_unit": "kg"})).status_code == 201
    assert (await api.post("/receipts", json={"sku": "OIL", "quantity": "60", "unit": "kg", "expiry_date": in_days(90)})).status_code == 201
    sku = f"CREAM-{uuid.uuid4().hex[:6]}"
    product = {"sku": sku, "name": "Cream", "kind": "finished", "base_unit": "kg"}
    assert (await api.post("/items", json=product)).status_code == 201
    await publish(stack, recipe(sku, [("OIL", "1", "kg")], batch_min="10", batch_multiple="10"))
    await poll(lambda: _has_recipe(api, sku), 90, what="the recipe replica")

    a, b = f"a-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
    first = uuid.uuid4()
    await publish(stack, order(a, (sku, "60", "kg")), first)
    await publish(stack, order(b, (sku, "60", "kg")))
    await publish(stack, order(a, (sku, "60", "kg")), first)  # a redelivered copy

    seen = await read_until(stack, ["MaterialsReserved", "MaterialsShort"], [a, b],
                            enough=lambda found: len(found) >= 2, deadline=90)
    # Once the group has committed past every OrderPlaced (the redelivered copy included),
    # the outbox holds everything inventory will ever say about the two orders.
    await poll(lambda: group_caught_up(stack, group, topic_for("OrderPlaced").name), 90,
               what="the group to consume every OrderPlaced")
    conn = await asyncpg.connect(db.dsn)
    try:
        said = await conn.fetch("SELECT topic FROM outbox WHERE key = ANY($1::text[])", [a, b])
    finally:
        await conn.close()
    assert len(said) == 2
    assert sorted(e.event_type for e in seen) == ["MaterialsReserved", "MaterialsShort"]
    assert {e.data["order_id"] for e in seen} == {a, b}
    (oil,) = (await api.get("/stock", params={"sku": "OIL"})).json()
    assert (D(oil["on_hand"]), D(oil["reserved"]), D(oil["available"])) == (D(60), D(60), D(0))


async def _has_recipe(api: httpx.AsyncClient, sku: str) -> bool:
    return (await api.get(f"/recipes/{sku}")).status_code == 200
