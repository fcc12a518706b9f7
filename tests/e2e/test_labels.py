"""Labels across the running system (issue 13, item 4): an order from stock gets its label and
packing slip as PDF through the gateway, a label bought at the EasyPost stand-in ships the
parcel with its tracking number, and the stand-in's signed tracker webhook, sent to the
gateway's public door, marks it delivered: Delivered reaches orders over Kafka (the order is
`delivered`, one Delivered on its timeline) however often EasyPost repeats itself; a webhook
with a bad signature is refused and changes nothing."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from flows import item, receive, tag, wait_status
from harness import client, ok, poll

pytestmark = pytest.mark.e2e


async def test_a_bought_label_ships_and_easyposts_webhook_delivers_it_once(system):
    t = tag()
    sku = f"SOAP-{t}"
    async with client(system) as c:
        await item(c, sku, "finished", "pcs")
        await receive(c, sku, "20", "pcs")
        placed = await ok(await c.post("/api/orders", json={
            "customer": {"name": "Ada Lovelace", "email": "ada@example.com",
                         "address": "12 Analytical Row, EC1A 1AA London", "country": "GB"},
            "lines": [{"sku": sku, "quantity": "4", "unit": "pcs"}]}))
        order_id, order_no = placed["order_id"], placed["order_no"]

        async def prepared():
            items = await ok(await c.get("/api/shipments", params={"order_id": order_id}))
            return next((s for s in items if s["status"] == "prepared"), None)

        shipment = await poll(prepared, deadline=60, what="a prepared shipment")
        sid = shipment["shipment_id"]

        label = await c.get(f"/api/shipments/{sid}/label.pdf")
        assert label.status_code == 200 and label.headers["content-type"] == "application/pdf"
        text = PdfReader(io.BytesIO(label.content)).pages[0].extract_text()
        assert f"Order {order_no}" in text and f"Shipment {order_no}/1" in text and "EC1A 1AA London" in text
        slip = await c.get(f"/api/shipments/{sid}/packing-slip.pdf")
        assert sku in PdfReader(io.BytesIO(slip.content)).pages[0].extract_text()

        bought = await ok(await c.post(f"/api/shipments/{sid}/buy-label", json={}))
        assert bought["carrier"] == "USPS" and len(system.easypost.purchases) >= 1
        again = await ok(await c.post(f"/api/shipments/{sid}/buy-label", json={}))
        assert again["tracking_no"] == bought["tracking_no"]
        assert system.easypost.purchases.count(bought["provider_shipment_id"]) == 1
        await ok(await c.post(f"/api/shipments/{sid}/ship", json=bought["ship_with"]))
        await wait_status(c, order_id, "shipped")

        easypost = system.easypost
        event = easypost.tracker_event(bought["tracking_no"], "delivered")
        headers, body = easypost.signed(event, secret="forged")
        forged = await c.post("/webhooks/easypost", content=body, headers=headers)
        assert forged.status_code == 401
        assert (await ok(await c.get(f"/api/shipments/{sid}")))["status"] == "shipped"

        assert easypost.send(event, f"{system.gateway}/webhooks/easypost") == 200
        assert easypost.send(event, f"{system.gateway}/webhooks/easypost") == 200  # at least once
        view = await wait_status(c, order_id, "delivered")
        delivered = [e for e in view["order"]["timeline"] if e.get("event_type") == "Delivered"]
        assert len(delivered) == 1 and delivered[0]["producer"] == "shipping"
        assert (await ok(await c.get(f"/api/shipments/{sid}")))["status"] == "delivered"
