"""Shipping and the customer's link with clicks (real browser, every service its own
process, the EasyPost stand-in): the label PDF downloaded from the shipment card, a label
bought at the carrier fills in carrier and tracking and the parcel ships with them; on the
order page a new status link is sent, opens the customer's page, and once revoked answers
404."""

from __future__ import annotations

import io

import pytest
from browsing import browser, signed_in  # noqa: F401  (browser: a fixture)
from flows import item, receive, tag, wait_status
from harness import client, ok, poll
from pypdf import PdfReader

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


async def test_a_label_bought_with_clicks_ships_the_parcel_and_the_status_link_is_managed(browser, system):
    t = tag()
    sku = f"LOTION-{t}"
    customer = f"Grace Parcel {t}"
    async with client(system) as c:
        await item(c, sku, "finished", "pcs")
        await receive(c, sku, "10", "pcs")
        placed = await ok(await c.post("/api/orders", json={
            "customer": {"name": customer, "email": f"grace-{t.lower()}@example.com",
                         "address": "5 Harbour Street, 75002 Paris", "country": "FR"},
            "lines": [{"sku": sku, "quantity": "3", "unit": "pcs"}]}))
        order_id, order_no = placed["order_id"], placed["order_no"]
        await wait_status(c, order_id, "ready_to_ship", deadline=60)

        page = await signed_in(browser, system)
        await page.get_by_role("link", name="Shipping").click()
        card = page.locator(".card").filter(has_text=order_no).filter(has=page.get_by_role("button", name="Buy label"))
        async with page.expect_download() as dl:
            await card.get_by_role("button", name="Label (PDF)").click()
        label = await (await dl.value).path()
        text = PdfReader(io.BytesIO(open(label, "rb").read())).pages[0].extract_text()
        assert f"Order {order_no}" in text and "Paris" in text

        await card.get_by_role("button", name="Buy label").click()
        await card.get_by_text("Label bought:").wait_for()
        tracking = await card.get_by_label("Tracking number").input_value()
        assert tracking and await card.locator("select[name=carrier]").input_value() == "USPS"
        await card.get_by_role("button", name="Ship", exact=True).click()
        view = await wait_status(c, order_id, "shipped", deadline=60)
        assert [s["tracking_no"] for s in view["shipments"]] == [tracking]

        # The customer's status page: a new link, opened as the customer would, then revoked.
        await page.goto(f"{system.gateway}/#/orders/{order_id}")
        await page.get_by_role("button", name="Send a new link").click()
        url = await page.get_by_label("New status link").input_value()
        assert "/track/" in url
        customer_page = await browser.new_page()
        await customer_page.goto(url)
        await customer_page.get_by_text(order_no).first.wait_for()
        assert tracking in await customer_page.content()

        page.once("dialog", lambda d: d.accept())
        await page.get_by_role("button", name="Revoke link").click()
        await page.get_by_text("The link is revoked").wait_for()

        async def gone() -> bool:
            return (await customer_page.goto(url)).status == 404
        await poll(gone, deadline=15, what="the revoked link answering 404")
        assert page.errors == []
        await customer_page.close()
        await page.close()
