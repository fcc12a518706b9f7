"""'Where is my order?' for the customer, across the running system: the confirmation e-mail
carries a private link; following it (no API key) shows the order at each step - received
while materials are short, materials reserved, in production, ready to ship, shipped with
tracking, delivered - with the promised date and the parcels, and nothing internal (ids,
lots, batches, addresses, another customer who shares the batch). Each customer mail comes
once; a revoked link and a wrong one are the same 404; a new link works."""

from __future__ import annotations

import re

import httpx
import pytest

from flows import batches_of, item, place, receive, recipe, ship, tag
from harness import client, ok, poll
from test_saga import recipe_known_to_inventory

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https?://[^\s/]+/track/([A-Za-z0-9_-]{32})")


def mails_to(system, email: str, subject: str) -> list[dict]:
    return [m for m in system.mailbox.messages if email in m["to"] and subject in (m["subject"] or "")]


async def test_the_link_in_the_confirmation_follows_the_order_to_delivery(system):
    t = tag()
    fg, wax, jar = f"BALM-{t}", f"WAX-{t}", f"JAR-{t}"
    email, other_email = f"track-{t}@example.com", f"grace-{t}@example.com"
    async with client(system) as c, httpx.AsyncClient(base_url=system.gateway, timeout=15) as anyone:
        await item(c, fg, "finished", "pcs", shelf_life_days=365)
        await item(c, wax, "raw", "kg", supplier_lead_time_days=7)  # short: the order waits, dated by the supplier
        await item(c, jar, "raw", "pcs")
        jar_lot = await receive(c, jar, "500", "pcs", expiry_days=None, lot_no=f"J1-{t}")
        await recipe(c, fg, [(wax, "15", "g"), (jar, "1", "pcs")])
        await recipe_known_to_inventory(system, fg)

        other = await place(c, [(fg, "10", "pcs")], name="Grace Hopper", email=other_email)
        order_id = await place(c, [(fg, "30", "pcs")], email=email)

        # The confirmation: lines, the date, the link.
        (confirmation,) = await poll(lambda: mails_to(system, email, "We received"), deadline=60,
                                     what="the order confirmation")
        assert f"30 pcs {fg}" in confirmation["body"] and "We will ship it by" in confirmation["body"]
        (token,) = LINK.findall(confirmation["body"])

        async def page_in(*statuses: str) -> dict:
            async def reached():
                r = await anyone.get(f"/api/track/{token}")  # no API key
                assert r.status_code == 200, r.text
                return r.json() if r.json()["status"] in statuses else None
            return await poll(reached, deadline=60, what=f"the status page in {statuses}")

        seen = {}
        seen["received"] = await page_in("awaiting_materials", "received")
        current = [s["key"] for s in seen["received"]["steps"] if s["current"]]
        assert current == ["received"] and "waiting for materials" in seen["received"]["status_text"]
        assert seen["received"]["order_no"] and seen["received"]["promised_date"]
        assert seen["received"]["lines"] == [{"sku": fg, "quantity": "30", "unit": "pcs"}]
        promised = seen["received"]["promised_date"]

        wax_lot = await receive(c, wax, "10", "kg", lot_no=f"W1-{t}")
        seen["reserved"] = await page_in("materials_reserved")
        [batch] = await batches_of(c, order_id)

        await ok(await c.post(f"/api/batches/{batch['batch_id']}/start"))
        seen["production"] = await page_in("in_production")
        planned = (await ok(await c.get(f"/api/batches/{batch['batch_id']}")))["planned_quantity"]
        await ok(await c.post(f"/api/batches/{batch['batch_id']}/complete", json={"output_quantity": planned}))
        seen["ready"] = await page_in("ready_to_ship", "allocated")

        shipment = await ship(c, order_id, carrier="DHL")
        seen["shipped"] = await page_in("shipped")
        (parcel,) = seen["shipped"]["shipments"]
        assert (parcel["carrier"], parcel["tracking_no"]) == ("DHL", shipment["tracking_no"])
        assert parcel["tracking_url"] and parcel["shipped_on"] and parcel["items"] == [
            {"sku": fg, "quantity": "30", "unit": "pcs"}]

        await ok(await c.post(f"/api/shipments/{shipment['shipment_id']}/deliver"))
        seen["delivered"] = await page_in("delivered")
        assert seen["delivered"]["shipments"][0]["delivered_on"]
        assert [s["key"] for s in seen["delivered"]["steps"] if s["done"]] == [
            "received", "materials_reserved", "in_production", "ready_to_ship", "shipped", "delivered"]
        assert all(v["promised_date"] == promised for v in seen.values())  # the promise stands

        html_page = await anyone.get(f"/track/{token}")
        assert html_page.status_code == 200 and "delivered" in html_page.text and shipment["tracking_no"] in html_page.text

        # Nothing internal on any page seen.
        forbidden = [order_id, other, shipment["shipment_id"], batch["batch_id"], batch["batch_no"],
                     wax_lot["lot_id"], jar_lot["lot_id"], f"W1-{t}", f"J1-{t}", "Grace", other_email, email,
                     "Analytical", "lot_id", "cost", "customer", "timeline"]
        shown = " ".join(str(v) for v in seen.values()) + html_page.text
        for leak in forbidden:
            assert leak not in shown, leak

        # Each mail once.
        await poll(lambda: mails_to(system, email, "has been delivered"), deadline=60, what="the delivery mail")
        assert len(mails_to(system, email, "We received")) == 1
        assert len(mails_to(system, email, "has shipped")) == 1
        assert len(mails_to(system, email, "has been delivered")) == 1

        # Revoked: the same 404 as a token that never was; a new link works.
        await ok(await c.post(f"/api/orders/{order_id}/status-link/revoke"))
        revoked = await anyone.get(f"/api/track/{token}")
        wrong = await anyone.get(f"/api/track/{'Z' * 32}")
        assert revoked.status_code == wrong.status_code == 404 and revoked.json() == wrong.json()
        assert (await anyone.get(f"/track/{token}")).status_code == 404
        fresh = await ok(await c.post(f"/api/orders/{order_id}/status-link"))
        (new_token,) = LINK.findall(fresh["url"])
        assert (await anyone.get(f"/api/track/{new_token}")).json()["status"] == "delivered"
        await poll(lambda: mails_to(system, email, "A new private link"), deadline=60, what="the new link's mail")
