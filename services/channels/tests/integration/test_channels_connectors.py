"""Connector management as a shop owner meets it: the absolute webhook URL to paste, secrets
sealed at rest and never echoed, rotation with a grace period, disable/enable, delete,
removing a mapping, and reconciliation that recovers an order whose webhook was lost,
exactly once together with webhooks."""

from __future__ import annotations

import pytest
from channels_testkit import SECRET, connect, count, deliver, events, fixture, map_skus, shop_order

from sqlalchemy import text

from devstack.testing import query_scalar

pytestmark = pytest.mark.integration

SHOP = "acme.myshopify.com"
IPODS = {"IPOD2008GREEN": "SOAP-LAV", "IPOD2008RED": "SOAP-ROSE", "IPOD2008BLACK": "SOAP-CHAR"}


async def test_secrets_are_sealed_at_rest_and_never_shown(rt, client, shopify):
    shown = await connect(client, "shopify", SHOP, admin_url=shopify.url, admin_token="shpat_secret_token")
    assert shown["webhook_url"] == f"https://shop-hooks.example.com/webhooks/shopify/{SHOP}"
    assert shown["has_webhook_secret"] and shown["has_admin_token"]
    listing = (await client.get("/connectors")).text
    assert SECRET not in listing and "shpat_secret_token" not in listing
    stored = await query_scalar(rt.uow, "SELECT webhook_secret || admin_token FROM connectors")
    assert SECRET not in stored and "shpat_secret_token" not in stored and stored.startswith("fernet:")
    # A partial update keeps what it does not name; an explicit null clears.
    again = (await client.post("/connectors", json={"channel": "shopify", "shop": SHOP, "enabled": True})).json()
    assert again["has_webhook_secret"] and again["has_admin_token"]
    cleared = (await client.post("/connectors", json={"channel": "shopify", "shop": SHOP, "admin_token": None})).json()
    assert not cleared["has_admin_token"]


async def test_rotated_secret_applies_at_once_and_the_old_one_only_during_the_grace(rt, client, shopify):
    await connect(client, "shopify", SHOP)
    await map_skus(client, "shopify", SHOP, IPODS)
    new = "whsec_rotated_secret_2"
    r = await client.post(f"/connectors/shopify/{SHOP}/rotate-secret", json={"webhook_secret": new})
    assert r.status_code == 200
    assert (await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create"), new))).status_code == 200
    # Signed with the old secret just before the shop switched: still accepted for now...
    assert (await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create_gift"), SECRET))).status_code == 200
    # ... and refused once the grace is over.
    async with rt.uow.sessions() as session, session.begin():
        await session.execute(text("UPDATE connectors SET previous_secret_until = now() - interval '1 second'"))
    assert (await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create_test"), SECRET))).status_code == 401


async def test_disabled_connector_records_deliveries_but_takes_no_order(rt, client, shopify):
    await connect(client, "shopify", SHOP)
    await map_skus(client, "shopify", SHOP, IPODS)
    await client.post(f"/connectors/shopify/{SHOP}/disable")
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create"), SECRET))
    assert r.status_code == 200 and r.json()["status"] == "ignored"
    (d,) = (await client.get("/deliveries")).json()
    assert d["outcome"] == "ignored" and d["topic"] == "orders/create" and d["external_id"] == "450789469"
    assert await count(rt, "shop_orders") == 0


async def test_removing_a_mapping_and_deleting_a_connector(rt, client, shopify):
    await connect(client, "shopify", SHOP)
    await map_skus(client, "shopify", SHOP, {**IPODS, "variant:447654529": {"ignore": True}})
    assert (await client.delete(f"/connectors/shopify/{SHOP}/sku-map/variant:447654529")).status_code == 204
    assert (await client.delete(f"/connectors/shopify/{SHOP}/sku-map/variant:447654529")).status_code == 404
    refs = [m["ref"] for m in (await client.get(f"/connectors/shopify/{SHOP}/sku-map")).json()]
    assert refs == sorted(IPODS)
    bad = await client.post(f"/connectors/shopify/{SHOP}/sku-map", json={"X": {"unit": "pcs"}})
    assert bad.status_code == 422
    assert (await client.delete(f"/connectors/shopify/{SHOP}")).status_code == 204
    assert (await client.get(f"/connectors/shopify/{SHOP}")).status_code == 404
    r = await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", fixture("shopify", "orders_create"), SECRET))
    assert r.status_code == 404


async def test_reconciliation_recovers_a_lost_webhook_exactly_once(rt, client, shopify):
    await connect(client, "shopify", SHOP, admin_url=shopify.url, admin_token=shopify.token)
    await map_skus(client, "shopify", SHOP, IPODS)
    lost = shopify.add_order(fixture("shopify", "orders_create"))  # its webhook never arrived
    seen = shopify.add_order(fixture("shopify", "orders_create_gift"))
    await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", seen, SECRET))

    r = await client.post(f"/connectors/shopify/{SHOP}/reconcile", json={"since": "2008-01-01T00:00:00Z"})
    assert r.status_code == 200, r.text
    assert r.json()["seen"] == 2 and r.json()["outcomes"] == {"accepted": 2}  # the gift order: same version
    again = await client.post(f"/connectors/shopify/{SHOP}/reconcile", json={"since": "2008-01-01T00:00:00Z"})
    assert again.json()["seen"] == 2
    await deliver(client, "shopify", SHOP, shopify.webhook("orders/create", lost, SECRET))  # the webhook, late
    envs = await events(rt, "ChannelOrderReceived")
    assert sorted(e.data["external_order_id"] for e in envs) == ["450789469", "450789471"]
    assert (await shop_order(client, "shopify", SHOP, 450789469))["source"] == "reconcile"
    listed = shopify.calls_to("GET", r"/admin/api/[^/]+/orders\.json")
    assert listed[0].query["status"] == ["any"] and listed[0].query["updated_at_min"]


async def test_reconciliation_needs_an_api_and_reports_platform_errors(rt, client, shopify):
    await connect(client, "shopify", SHOP)
    assert (await client.post(f"/connectors/shopify/{SHOP}/reconcile")).status_code == 409
    await connect(client, "shopify", SHOP, admin_url=shopify.url, admin_token="wrong-token")
    r = await client.post(f"/connectors/shopify/{SHOP}/reconcile")
    assert r.status_code == 424 and "401" in r.json()["detail"]
    assert "401" in (await client.get(f"/connectors/shopify/{SHOP}")).json()["reconcile_error"]


async def test_scheduled_reconciliation_imports_each_connector_once_per_interval(rt, client, shopify):
    import httpx

    from channels.order_import import reconcile_due
    from channels.secrets import SecretBox

    await connect(client, "shopify", SHOP, admin_url=shopify.url, admin_token=shopify.token)
    await map_skus(client, "shopify", SHOP, IPODS)
    # The first pass looks back from the connector's creation: an order modified since then
    # whose webhook was lost.
    shopify.add_order(fixture("shopify", "orders_create", updated_at="2099-01-01T00:00:00Z"))
    async with httpx.AsyncClient(timeout=5) as http:
        box = SecretBox(rt.settings.secrets_key)
        await reconcile_due(rt, box, http)
        await reconcile_due(rt, box, http)  # within the interval: no second pass
    assert len(await events(rt, "ChannelOrderReceived")) == 1
    assert len(shopify.calls_to("GET", r"/admin/api/[^/]+/orders\.json")) == 1
    shown = (await client.get(f"/connectors/shopify/{SHOP}")).json()
    assert shown["reconciled_at"] is not None and shown["reconcile_error"] is None


async def test_a_failing_scheduled_reconciliation_backs_off_until_the_connector_changes(rt, client, shopify):
    import httpx

    from channels.order_import import reconcile_due
    from channels.secrets import SecretBox

    # Wrong credentials: the shop answers 401. The pass is not repeated at every poll (it was:
    # every 5 s, a warning and a request to the shop each time).
    await connect(client, "shopify", SHOP, admin_url=shopify.url, admin_token="wrong-token")
    def listed() -> int:  # requests for the order list, refused or not
        return sum(1 for c in list(shopify.calls) if c.method == "GET" and c.path.endswith("/orders.json"))

    async with httpx.AsyncClient(timeout=5) as http:
        box = SecretBox(rt.settings.secrets_key)
        await reconcile_due(rt, box, http)
        await reconcile_due(rt, box, http)
        assert listed() == 1
        shown = (await client.get(f"/connectors/shopify/{SHOP}")).json()
        assert "401" in shown["reconcile_error"] and shown["reconciled_at"] is None
        # The operator puts the right token in: the next poll tries at once, and succeeds.
        await connect(client, "shopify", SHOP, admin_url=shopify.url, admin_token=shopify.token)
        await reconcile_due(rt, box, http)
        assert listed() == 2
    shown = (await client.get(f"/connectors/shopify/{SHOP}")).json()
    assert shown["reconcile_error"] is None and shown["reconciled_at"] is not None


async def test_rules_not_named_keep_their_value_and_secrets_are_not_echoed_in_422(rt, client):
    await connect(client, "shopify", SHOP, rules={"hold_unpaid": False, "ignore_skus": ["GIFTWRAP"]})
    shown = (await client.post("/connectors", json={"channel": "shopify", "shop": SHOP,
                                                      "rules": {"skip_test_orders": False}})).json()
    assert shown["rules"]["hold_unpaid"] is False and shown["rules"]["ignore_skus"] == ["GIFTWRAP"]
    assert shown["rules"]["skip_test_orders"] is False and shown["rules"]["ignore_zero_price"] is True
    r = await client.post("/connectors", json={"channel": "shopify", "shop": SHOP, "webhook_secret": "Xy7qZ"})
    assert r.status_code == 422 and "Xy7qZ" not in r.text and r.json()["detail"]
