"""Shop lines sold under our own SKUs: inventory's ItemDefined kept in channels' catalog
replica (newest revision wins), a line whose SKU is one of our finished goods in pieces mapped
without any SKU map (in any case), kg / inactive / raw items still waiting for the operator,
explicit mappings winning, and orders parked before their item existed released when it is
defined. ItemDefined goes through the consumer's inbox as Kafka would deliver it; the last
test runs the service on Kafka with a malformed ItemDefined before a good one."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from channels_testkit import SECRET, connect, deliver, events, fixture, map_skus, shop_order

from channels.bootstrap import MIGRATIONS, build
from channels.handlers import on_item_defined, on_shipped
from channels.settings import Settings
from contracts.envelope import Envelope
from contracts.events import ItemDefined, Shipped
from contracts.topics import topic_for
from contracts.units import Unit
from devstack.testing import deliver_via_inbox, kafka_settings, publish, query_rows, runtime, serving
from devstack.waiting import poll
from eventkit.migrate import migrate
from eventkit.topic_reader import read_to_end

pytestmark = pytest.mark.integration

SHOP = "maker.myshopify.com"
WOO = "maker-shop.example.com"
OURS = ("IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK")  # the SKUs of Shopify's documented order


@pytest.fixture
async def rt(fresh_db):
    """The service's runtime with its consumer (inbox claims, serialized handlers), no Kafka."""
    settings = Settings(database_url=str(fresh_db), public_base_url="https://shop-hooks.example.com")
    async with runtime(settings, MIGRATIONS, "channels",
                       handlers={Shipped: on_shipped, ItemDefined: on_item_defined}) as rt:
        yield rt


def item(sku: str, kind: str = "finished", unit: Unit = Unit.pcs, active: bool = True, revision: int = 1,
         sellable: bool = True) -> ItemDefined:
    return ItemDefined(sku=sku, name=f"item {sku}", kind=kind, base_unit=unit, sellable=sellable, active=active,
                       revision=revision)


async def define(rt, *items: ItemDefined, event_id: uuid.UUID | None = None) -> None:
    for it in items:
        await deliver_via_inbox(rt.consumer, it, event_id)


async def order_in(client, shopify, payload: dict | None = None) -> dict:
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", payload or fixture("shopify", "orders_create"), SECRET))
    assert r.status_code == 200, r.text
    return r.json()


async def test_an_order_under_our_skus_is_accepted_without_any_mapping(rt, client, shopify):
    await connect(client, "shopify", SHOP)
    await define(rt, *(item(sku) for sku in OURS))
    answer = await order_in(client, shopify)
    assert answer["status"] == "accepted", answer
    (env,) = await events(rt, "ChannelOrderReceived")
    assert [(li["line_no"], li["sku"], li["quantity"], li["unit"]) for li in env.data["lines"]] == [
        (1, "IPOD2008GREEN", "1", "pcs"), (2, "IPOD2008RED", "1", "pcs"), (3, "IPOD2008BLACK", "1", "pcs")]
    detail = (await client.get(f"/shop-orders/{answer['shop_order_id']}")).json()
    assert [(li["sku"], li["matched_on"], li["per_item"]) for li in detail["lines"]] == [
        (sku, "catalog", "1") for sku in OURS]


async def test_a_lower_case_shop_sku_maps_to_our_exact_sku(rt, client, woo):
    await connect(client, "woocommerce", WOO)
    await define(rt, item("LIP-BALM-15G"), item("SOAP-ROSE"))
    payload = fixture("woocommerce", "order_created")
    payload["line_items"][0]["sku"] = " lip-balm-15g "
    payload["line_items"][1]["sku"] = "Soap-Rose"
    r = await deliver(client, "woocommerce", WOO, woo.webhook("order.created", payload, SECRET))
    assert r.json()["status"] == "accepted", r.text
    (env,) = await events(rt, "ChannelOrderReceived")
    assert [(li["sku"], li["quantity"]) for li in env.data["lines"]] == [("LIP-BALM-15G", "2"), ("SOAP-ROSE", "1")]
    detail = (await client.get(f"/shop-orders/{r.json()['shop_order_id']}")).json()
    assert [li["external_sku"] for li in detail["lines"]] == ["lip-balm-15g", "Soap-Rose"]  # the shop's, as sent


@pytest.mark.parametrize("black, why", [
    (item("IPOD2008BLACK", unit=Unit.kg), "counted in kg"),
    (item("IPOD2008BLACK", active=False), "inactive"),
    (item("IPOD2008BLACK", kind="raw"), "raw, not a finished good"),
])
async def test_kg_inactive_and_raw_items_still_need_a_mapping(rt, client, shopify, black, why):
    await connect(client, "shopify", SHOP)
    await define(rt, item("IPOD2008GREEN"), item("IPOD2008RED"), black)
    answer = await order_in(client, shopify)
    assert answer["status"] == "needs_mapping", answer
    assert "IPOD2008BLACK" in answer["reason"] and why in answer["reason"]
    assert "IPOD2008GREEN" not in answer["reason"]  # the other lines were matched
    assert await events(rt, "ChannelOrderReceived") == []
    # The operator says how much one shop item is: the mapping releases the order as always.
    await map_skus(client, "shopify", SHOP, {"IPOD2008BLACK": {"sku": "SOAP-CHAR", "per_item": 1}})
    (env,) = await events(rt, "ChannelOrderReceived")
    assert [li["sku"] for li in env.data["lines"]] == ["IPOD2008GREEN", "IPOD2008RED", "SOAP-CHAR"]


async def test_an_explicit_mapping_or_ignore_wins_over_the_catalog(rt, client, shopify):
    await connect(client, "shopify", SHOP)
    await map_skus(client, "shopify", SHOP, {"IPOD2008GREEN": "SOAP-LAV", "variant:49148385": {"ignore": True}})
    await define(rt, *(item(sku) for sku in OURS))
    answer = await order_in(client, shopify)
    assert answer["status"] == "accepted", answer
    (env,) = await events(rt, "ChannelOrderReceived")
    assert [(li["line_no"], li["sku"]) for li in env.data["lines"]] == [(1, "SOAP-LAV"), (3, "IPOD2008BLACK")]
    detail = (await client.get(f"/shop-orders/{answer['shop_order_id']}")).json()
    assert [(li["sku"], li["matched_on"]) for li in detail["lines"]] == [("SOAP-LAV", "sku"), ("IPOD2008BLACK", "catalog")]
    # The order's page asks by our order id: the same lines, with the shop's SKU beside ours.
    of_order = (await client.get(f"/orders/{answer['order_id']}/shop-order")).json()
    assert (of_order["shop_order_id"], of_order["channel"]) == (answer["shop_order_id"], "shopify")
    assert [(li["external_sku"], li["sku"], li["matched_on"]) for li in of_order["lines"]] == [
        ("IPOD2008GREEN", "SOAP-LAV", "sku"), ("IPOD2008BLACK", "IPOD2008BLACK", "catalog")]
    unknown = await client.get("/orders/not-from-a-shop/shop-order")
    assert unknown.status_code == 404 and "did not come from a shop" in unknown.json()["detail"]


async def test_an_order_parked_before_its_item_existed_is_released_when_it_is_defined(rt, client, shopify):
    await connect(client, "shopify", SHOP)
    await define(rt, item("IPOD2008GREEN"), item("IPOD2008RED"))
    answer = await order_in(client, shopify)
    assert answer["status"] == "needs_mapping" and "IPOD2008BLACK" in answer["reason"]
    other = await order_in(client, shopify, fixture("shopify", "orders_create", id=777, line_items=[
        {**fixture("shopify", "orders_create")["line_items"][0], "sku": "SOMETHING-ELSE", "variant_id": 1}]))
    assert other["status"] == "needs_mapping"
    before = {r["external_id"]: r for r in await query_rows(rt.uow, "SELECT external_id, updated_at, unmapped_skus FROM shop_orders")}
    assert before["450789469"]["unmapped_skus"] == ["IPOD2008BLACK"]

    # An item that a shop line cannot name by itself releases nothing.
    await define(rt, item("IPOD2008BLACK", unit=Unit.kg))
    assert (await shop_order(client, "shopify", SHOP, 450789469))["status"] == "needs_mapping"
    # The item as a finished good in pieces (a new revision): the order proceeds by itself, once.
    released = item("IPOD2008BLACK", revision=2)
    event_id = uuid.uuid4()
    await define(rt, released, event_id=event_id)
    await define(rt, released, event_id=event_id)  # the same delivery again: the inbox drops it
    await define(rt, released)  # the same revision under a new event id: nothing changes
    (env,) = await events(rt, "ChannelOrderReceived")
    assert [li["sku"] for li in env.data["lines"]] == list(OURS)
    assert env.data["order_id"] == answer["order_id"] and env.causation_id is not None
    assert (await shop_order(client, "shopify", SHOP, 450789469))["status"] == "accepted"
    after = await shop_order(client, "shopify", SHOP, 777)  # parked on another SKU: not touched
    assert after["status"] == "needs_mapping"
    assert datetime.fromisoformat(after["updated_at"]) == before["777"]["updated_at"]


async def test_an_older_revision_after_a_newer_one_changes_nothing(rt, client, shopify):
    await connect(client, "shopify", SHOP)
    await define(rt, item("IPOD2008GREEN"), item("IPOD2008RED"))
    await define(rt, item("IPOD2008BLACK", active=False, revision=3))
    await define(rt, item("IPOD2008BLACK", revision=2))  # late, older: still inactive
    rows = await query_rows(rt.uow, "SELECT active, revision FROM catalog_items WHERE sku = 'IPOD2008BLACK'")
    assert rows == [{"active": False, "revision": 3}]
    answer = await order_in(client, shopify)
    assert answer["status"] == "needs_mapping" and "inactive" in answer["reason"]
    assert await events(rt, "ChannelOrderReceived") == []
    await define(rt, item("IPOD2008BLACK", revision=4))
    assert len(await events(rt, "ChannelOrderReceived")) == 1


async def test_an_order_and_its_item_arriving_together_never_miss_each_other(rt, client, shopify):
    """The order is decided while the item is being defined: either intake sees the item or
    the handler sees the parked order (channels.catalog's lock); the order never stays parked."""
    await connect(client, "shopify", SHOP)
    await define(rt, item("IPOD2008GREEN"), item("IPOD2008RED"))
    lines = fixture("shopify", "orders_create")["line_items"]
    for n in range(8):
        sku = f"RACE-{n}"
        payload = fixture("shopify", "orders_create", id=9000 + n,
                          line_items=[*lines[:2], {**lines[2], "sku": sku, "variant_id": 9000 + n}])
        await asyncio.gather(order_in(client, shopify, payload), define(rt, item(sku)))
        assert (await shop_order(client, "shopify", SHOP, 9000 + n))["status"] == "accepted", sku
    assert len(await events(rt, "ChannelOrderReceived")) == 8


# -- on Kafka ------------------------------------------------------------------------------------
@pytest.fixture
async def service(stack, fresh_db):
    await migrate(str(fresh_db), MIGRATIONS)
    settings = Settings(**kafka_settings(stack, fresh_db, "channels"))
    async with serving(build, settings) as (http,):
        yield http, settings


async def test_a_malformed_item_definition_is_dead_lettered_and_the_next_one_applies(stack, fresh_db, service, shopify):
    http, settings = service
    shop = f"kafka-{uuid.uuid4().hex[:8]}.myshopify.com"
    sku = f"KF-{uuid.uuid4().hex[:8].upper()}"
    await connect(http, "shopify", shop)
    payload = fixture("shopify", "orders_create", id=int(uuid.uuid4().int % 10**12))
    payload["line_items"] = [{**payload["line_items"][0], "sku": sku.lower()}]
    r = await deliver(http, "shopify", shop, shopify.webhook("orders/create", payload, SECRET))
    assert r.json()["status"] == "needs_mapping", r.text

    # Inventory's contract has no such kind or unit: the consumer cannot read it.
    bad = Envelope(event_type="ItemDefined", version=1, producer="inventory", correlation_id=sku,
                   data={**item(sku).model_dump(mode="json"), "kind": "bundle", "base_unit": "oz"})
    topic = stack.topic(topic_for(ItemDefined).name)
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, bad.to_bytes(), key=sku.encode())
    finally:
        await producer.stop()
    await publish(stack, item(sku))  # same key, so the same partition, after the bad one

    async def released():
        conn = await asyncpg.connect(fresh_db.dsn)
        try:
            return await conn.fetchval("SELECT status = 'accepted' FROM shop_orders WHERE shop = $1", shop)
        finally:
            await conn.close()
    await poll(released, 60, what="the parked order released by the good ItemDefined")

    async def dead_lettered():
        records = await read_to_end(stack.bootstrap, [topic + ".dlt"])
        return [r for r in records if r.key == sku.encode()
                and dict(r.headers).get("dlt.consumer.group") == settings.group_id.encode()]
    (dead,) = await poll(dead_lettered, 60, what="the malformed ItemDefined on the DLT")
    assert Envelope.from_bytes(dead.value).event_id == bad.event_id
    assert (await http.get("/health/ready")).status_code == 200


async def test_a_mapping_to_one_of_our_skus_in_another_case_is_refused_with_ours(rt, client, shopify):
    """Orders takes SKUs exactly: a mapping to 'soap-lav' would pass here and leave the order on
    orders' review list. The mapping is refused at the door, naming our SKU; nothing is kept."""
    await connect(client, "shopify", SHOP)
    await define(rt, item("SOAP-LAV"))
    refused = await client.post(f"/connectors/shopify/{SHOP}/sku-map",
                                json={"IPOD2008GREEN": "soap-lav", "IPOD2008RED": {"sku": "NOT-YET-DEFINED"}})
    assert refused.status_code == 422
    assert refused.json()["detail"] == "IPOD2008GREEN: our SKU is SOAP-LAV, not soap-lav"
    assert (await client.get(f"/connectors/shopify/{SHOP}/sku-map")).json() == []
    # A SKU the catalog does not know at all is taken (it may not have reached channels yet).
    await map_skus(client, "shopify", SHOP, {"IPOD2008GREEN": "SOAP-LAV", "IPOD2008RED": "NOT-YET-DEFINED"})
