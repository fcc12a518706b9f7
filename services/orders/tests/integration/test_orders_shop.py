"""Shop orders in the orders service: identity is (channel, shop, the shop's order id), what
the shop knew travels on, and a shop's cancellation runs the operator's cancellation (or is
flagged when goods already left), whatever order its event arrives in."""

from __future__ import annotations

import uuid

import pytest
from orders_testkit import channel_order, shipped, shop_cancelled

from contracts.events.base import PostalAddress, ShopDetails, ShopLinePrice

pytestmark = pytest.mark.integration


async def test_two_shops_with_the_same_order_number_are_two_orders(orders):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    await orders.deliver(channel_order(a, ref="1042", shop="north"))
    await orders.deliver(channel_order(b, ref="1042", shop="south"))
    views = [await orders.get(a), await orders.get(b)]
    assert [(v["channel_shop"], v["channel_order_ref"], v["status"]) for v in views] == [
        ("north", "1042", "received"), ("south", "1042", "received")]
    assert len(await orders.outbox(".order-placed.v1")) == 2


async def test_what_the_shop_knew_is_kept_and_carried_on(orders):
    oid = str(uuid.uuid4())
    details = ShopDetails(
        shop_order_number="#1042", currency="EUR", subtotal="24.00", tax="4.80", shipping="5.90", total="34.70",
        lines=[ShopLinePrice(line_no=1, title="Lavender soap", quantity=2, unit_price="12.00", total="24.00")],
        ship_to=PostalAddress(name="Jeanne Recipient", company="Atelier J", address1="1 rue de la Paix",
                              city="Paris", zip="75002", country="FR", phone="+33 1 23 45 67 89"),
        shipping_method="Colissimo 48h", buyer_note="Please gift wrap", language="fr", gift=True,
    )
    await orders.deliver(channel_order(oid, details=details))
    view = await orders.get(oid)
    assert view["shop_details"]["shop_order_number"] == "#1042"
    assert view["shop_details"]["ship_to"]["name"] == "Jeanne Recipient"
    assert float(view["shop_details"]["total"]) == 34.70
    placed = (await orders.outbox(".order-placed.v1"))[0][2]
    assert placed.data["channel_shop"] == "acme"
    assert placed.data["details"]["ship_to"]["company"] == "Atelier J"
    assert placed.data["details"]["buyer_note"] == "Please gift wrap"


async def test_shop_cancellation_cancels_once(orders):
    oid = str(uuid.uuid4())
    await orders.deliver(channel_order(oid))
    event = shop_cancelled(oid)
    cancel = await orders.deliver(event)
    await orders.deliver(event, event_id=uuid.uuid4())  # the same fact again under a new event id
    view = await orders.get(oid)
    assert view["status"] == "cancelled"
    assert "cancelled at shopify shop acme" in view["cancel_reason"]
    cancelled = await orders.outbox(".order-cancelled.v1")
    assert len(cancelled) == 1
    assert cancelled[0][2].causation_id == str(cancel.event_id)
    assert [e["event_type"] for e in view["timeline"]][-2:] == ["ChannelOrderCancelled", "OrderCancelled"]


async def test_cancellation_that_overtakes_the_order_leaves_no_live_order(orders):
    oid = str(uuid.uuid4())
    await orders.deliver(shop_cancelled(oid))
    assert (await orders.api.get(f"/orders/{oid}")).status_code == 404
    await orders.deliver(channel_order(oid))
    view = await orders.get(oid)
    assert view["status"] == "cancelled"
    assert len(await orders.outbox(".order-cancelled.v1")) == 1
    assert await orders.scalar("SELECT count(*) FROM parked_events") == 0


async def test_shop_cancellation_after_shipment_is_flagged_not_applied(orders):
    oid = str(uuid.uuid4())
    await orders.deliver(channel_order(oid))
    await orders.deliver(shipped(oid))
    await orders.deliver(shop_cancelled(oid))
    view = await orders.get(oid)
    assert view["status"] == "shipped" and view["cancelled_at"] is None
    assert "after goods had left" in view["attention"]
    assert await orders.outbox(".order-cancelled.v1") == []
    flagged = (await orders.api.get("/orders", params={"attention": "true"})).json()
    assert [o["order_id"] for o in flagged["items"]] == [oid]
