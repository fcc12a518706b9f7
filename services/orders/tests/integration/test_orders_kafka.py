"""The orders service as it runs (bootstrap.build(...).serve()) on the devstack's Kafka and
PostgreSQL: a channel order on Kafka becomes an order and an OrderPlaced on Kafka; a
redelivered Kafka message (same event id) is applied once."""

from __future__ import annotations

import uuid

import pytest

from devstack.testing import kafka_settings, publish, read_until, serving
from devstack.waiting import poll
from eventkit.migrate import migrate
from orders.bootstrap import MIGRATIONS, build
from orders.settings import Settings
from orders_testkit import channel_order, delivered, item_defined, shipped

pytestmark = pytest.mark.integration


@pytest.fixture
async def service(stack, fresh_db):
    await migrate(str(fresh_db), MIGRATIONS)
    async with serving(build, Settings(**kafka_settings(stack, fresh_db, "orders"))) as (http,):
        yield http


async def test_channel_order_from_kafka_is_placed_once_and_published(stack, service):
    # The catalog replica first (inventory's ItemDefined), polled until orders has it.
    await publish(stack, item_defined("SOAP-1", "pcs"))
    await poll(lambda: _known(service, "SOAP-1"), what="SOAP-1 in orders' catalog")
    oid = str(uuid.uuid4())
    await publish(stack, channel_order(oid, ref="#kafka-1"), times=2)  # redelivered

    async def placed():
        resp = await service.get(f"/orders/{oid}")
        return resp.json() if resp.status_code == 200 else None
    order = await poll(placed, what="the channel order to be placed")
    assert order["channel"] == "shopify" and order["status"] == "received"

    [env] = await read_until(stack, ["OrderPlaced"], [oid], deadline=60)
    assert env.data["order_no"] == order["order_no"] and env.data["channel_order_ref"] == "#kafka-1"

    await publish(stack, shipped(oid), times=2)  # same event id twice
    await publish(stack, delivered(oid))  # same key, so handled after both copies

    async def is_delivered():
        view = (await service.get(f"/orders/{oid}")).json()
        return view if view["status"] == "delivered" else None
    view = await poll(is_delivered, what="Shipped and Delivered to be applied")
    assert [e["event_type"] for e in view["timeline"]] == ["ChannelOrderReceived", "OrderPlaced", "Shipped", "Delivered"]


async def _known(http, sku: str) -> bool:
    return (await http.get(f"/catalog/{sku}")).status_code == 200
