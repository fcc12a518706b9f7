"""The operator console in a real browser (Debian's chromium driven by Playwright) against
the running system: an order placed with clicks moves live to `in_production`, its batch is
completed with the quantities used per lot, it is shipped, the customer's e-mail is read in
the console, and the ingredient lot is looked up by the number printed on it to find the
customer. Once on a desktop and once at 390 px. Every page passes axe-core with no serious
or critical violation."""

from __future__ import annotations

import re

import pytest
from devstack.waiting import poll
from browsing import AXE, browser, signed_in  # noqa: F401  (browser: a fixture)
from flows import item, place, receive, recipe, recipe_replicated, tag
from harness import client

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

PAGES = ["#/orders", "#/orders/new", "#/stuck", "#/stock", "#/shortages", "#/reorder", "#/purchasing", "#/production",
         "#/recipes", "#/shipping", "#/shops", "#/trace", "#/recalls", "#/mail"]


async def a_made_to_order_product(system) -> dict:
    t = tag()
    product, base, label = f"CREAM-{t}", f"BASE-{t}", f"LBL-{t}"
    async with client(system) as c:
        await item(c, product, "finished", "pcs")
        await item(c, base, "raw", "kg", supplier_lead_time_days=5)
        await item(c, label, "raw", "pcs")
        await receive(c, base, "20", "kg", supplier_lot_no=f"SUP-{t}")
        await receive(c, label, "500", "pcs")
        await recipe(c, product, [(base, "0.05", "kg"), (label, "1", "pcs")], batch_min="20", batch_multiple="10")
        await recipe_replicated(c, product, [base, label])
    return {"product": product, "base": base, "supplier_lot": f"SUP-{t}", "tag": t}


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
async def test_an_order_from_the_form_to_the_customers_mail_and_back_through_the_trace(browser, system, width):
    setup = await a_made_to_order_product(system)
    page = await signed_in(browser, system, width)
    customer = f"Clicky Customer {setup['tag']}"
    email = f"clicky-{setup['tag'].lower()}@example.com"

    # Place the order with the form.
    await page.get_by_role("link", name="New order").click()
    await page.get_by_label("Customer name").fill(customer)
    await page.get_by_label("Customer e-mail").fill(email)
    await page.get_by_label("Product").fill(setup["product"])
    await page.get_by_label("Product").dispatch_event("change")
    await page.get_by_label("Quantity").fill("12")
    await page.get_by_role("button", name="Place order").click()
    heading = page.get_by_role("heading", level=1)
    await heading.filter(has_text="Order SO-").wait_for()
    order_url = page.url
    order_no = re.search(r"SO-\d+", await heading.inner_text()).group()

    # Live: the batch is started elsewhere (a second tab, like the floor's tablet); this page
    # follows without a reload.
    await page.get_by_text("Materials reserved").first.wait_for(timeout=60_000)
    floor = await signed_in(browser, system, width)
    await floor.get_by_role("link", name="Production").click()
    row = floor.get_by_role("row").filter(has_text=setup["product"])
    # On a phone a row is a card of "Label: value" lines; the action's cell has no label to show.
    before = await row.locator("td", has=floor.get_by_role("button", name="Start")).evaluate(
        "td => getComputedStyle(td, '::before').content")
    assert before in ("none", "normal"), f"the Start button's cell shows {before!r} before it"
    await row.get_by_role("button", name="Start").click()
    await page.locator("h1 .status", has_text="In production").wait_for(timeout=60_000)
    assert page.url == order_url

    # Complete the batch with what was actually used per lot.
    await floor.get_by_role("row").filter(has_text=setup["product"]).get_by_role("link", name="Complete…").click()
    await floor.get_by_label(f"{setup['base']} from lot").fill("1.1")
    await floor.get_by_role("button", name="Complete batch").click()
    await floor.locator("h1 .status", has_text="Completed").wait_for(timeout=30_000)
    await page.locator("h1 .status", has_text="Ready to ship").wait_for(timeout=60_000)
    # The line has all its goods: it says so (an order's "allocated" is the partial stage).
    await page.locator("td[data-label=State] .status", has_text=re.compile(r"^Allocated$")).first.wait_for(timeout=10_000)
    assert await page.get_by_text("Partly allocated").count() == 0

    # Ship it with a carrier from the list.
    await floor.get_by_role("link", name="Shipping").click()
    card = floor.locator(".card").filter(has_text=customer.split()[0]).filter(has=floor.get_by_role("button", name="Ship"))
    if await card.count() == 0:
        card = floor.locator(".card").filter(has=floor.get_by_role("button", name="Ship")).first
    tracking = f"JD{setup['tag']}0001"
    await card.get_by_label("Carrier").select_option("UPS")
    await card.get_by_label("Tracking number").fill(tracking)
    await card.get_by_role("button", name="Ship").click()
    await page.locator("h1 .status", has_text="Shipped").wait_for(timeout=60_000)

    # The customer's e-mail, as the mail catcher received it.
    await floor.get_by_role("link", name="E-mails").click()
    mail = floor.locator("details").filter(has_text=email)
    await mail.first.wait_for(timeout=60_000)
    await mail.first.locator("summary").click()
    assert tracking in await mail.first.inner_text()
    sent = floor.get_by_role("row").filter(has_text=email).first  # shipping's own record of it
    assert order_no in await sent.locator("td[data-label=Order]").inner_text()

    # The ingredient lot by the number printed on the supplier's label reaches the customer.
    await floor.get_by_role("link", name="Trace").click()
    await floor.get_by_label("Lot number (as printed on the label)").fill(setup["supplier_lot"])
    await floor.get_by_role("button", name="Trace").click()
    await floor.get_by_role("cell", name=customer).wait_for(timeout=30_000)
    tree = await floor.locator("li", has_text="used in batch").first.inner_text()
    assert "(1.1 kg)" in tree, tree  # what the batch used, with its unit
    recall_row = floor.get_by_role("row").filter(has_text=customer)
    assert await recall_row.locator("td[data-label=Status]").inner_text() == "Shipped"  # in words

    # A table's caption reads as a line across the page, on a phone too (not a narrow column).
    await floor.get_by_role("link", name="Stock").click()
    box = await floor.locator("table caption").first.bounding_box()
    assert box and box["width"] >= width * 0.7, f"the stock table's caption is squeezed to {box} at {width} px"

    assert page.errors == [] and floor.errors == []
    await page.close()
    await floor.close()


async def test_a_reorder_point_set_with_clicks_plans_a_batch_for_stock_named_by_its_number(browser, system):
    setup = await a_made_to_order_product(system)  # a recipe, its materials in stock, no finished goods
    page = await signed_in(browser, system, 390)
    await page.get_by_role("link", name="Reorder").click()
    await page.get_by_text("Set a reorder point").click()
    await page.get_by_label("Item").fill(setup["product"])
    await page.get_by_label("Reorder point").fill("10")
    await page.get_by_label("Target / days of cover").fill("40")
    await page.get_by_label("Unit").fill("pcs")
    await page.get_by_role("button", name="Save").click()
    planned = page.get_by_role("row").filter(has_text=setup["product"]).filter(has_text="batch for stock")
    await planned.locator("td[data-label=Status]", has_text="Planned").wait_for(timeout=60_000)
    # The batch by the number production gave it (it may take a moment to be scheduled there).
    batch = planned.get_by_role("link", name=re.compile(r"^B\d"))

    async def numbered() -> bool:
        if await batch.count():
            return True
        await page.reload()
        await page.locator("main h1").wait_for()
        return False

    await poll(numbered, deadline=60, what="the replenishment's batch numbered by production")
    await batch.click()
    await page.get_by_role("heading", name=re.compile(r"^Batch B\d")).wait_for()
    assert page.errors == []
    await page.close()


async def test_no_page_is_wider_than_a_phone(browser, system):
    """At 390 px nothing pushes a page sideways, not even a long e-mail address on an order."""
    t = tag()
    async with client(system) as c:
        await item(c, f"SOAP-{t}", "finished", "pcs")
        order_id = await place(c, [(f"SOAP-{t}", "2", "pcs")], name=f"Hotel Lindenhof am See {t}",
                               email=f"purchasing.department.{t.lower()}@hotel-lindenhof-am-see.example")
        # A connector: its webhook URL is one long word on the Shops page.
        shop = f"lindenhof-naturkosmetik-{t.lower()}.myshopify.com"
        connected = await c.post("/api/connectors", json={"channel": "shopify", "shop": shop,
                                                          "webhook_secret": "phone-width-secret-123456"})
        assert connected.status_code in (200, 201), connected.text
    page = await signed_in(browser, system, 390)
    for route in [*PAGES, f"#/orders/{order_id}"]:
        await page.goto(f"{system.gateway}/{route}")
        await page.locator("main h1").wait_for()
        if route.startswith("#/orders/") and route != "#/orders/new":
            await page.get_by_text("hotel-lindenhof-am-see.example").first.wait_for()
        if route == "#/shops":
            await page.get_by_text(f"/webhooks/shopify/{shop}").first.wait_for()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{route} is {width} px wide on a 390 px phone"
    assert page.errors == []
    await page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (make browser-deps)")
async def test_every_page_has_no_serious_accessibility_violation(browser, system):
    page = await signed_in(browser, system, 1280)
    problems = {}
    for route in PAGES:
        await page.goto(f"{system.gateway}/{route}")
        await page.locator("main h1").wait_for()
        await page.add_script_tag(path=str(AXE))
        result = await page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [f"{v['id']}: {v['help']} ({len(v['nodes'])}x)" for v in result["violations"]
                   if v["impact"] in ("serious", "critical")]
        if serious:
            problems[route] = serious
    assert problems == {}
    await page.close()


async def test_a_shop_line_nobody_mapped_is_mapped_with_clicks_and_the_order_proceeds(browser, system):
    from devstack.shops.shopify import ShopifyStandIn
    from shops import SECRET, accepted_order_id, connect, deliver, fixture, listed_in_orders, stocked

    t = tag()
    shop = f"clicks-{t.lower()}.myshopify.com"
    product = f"SOAP-{t}"
    async with client(system) as c:
        await stocked(c, product, "50")
        await connect(c, "shopify", shop, webhook_secret=SECRET)
        with ShopifyStandIn() as shopify:
            payload = fixture("shopify", "orders_create", id=int(t, 16))
            payload["line_items"] = payload["line_items"][:1]
            r = await deliver(system, "shopify", shop, shopify.webhook("orders/create", payload, SECRET))
            assert r.json()["status"] == "needs_mapping"

        page = await signed_in(browser, system, 1280)
        await page.get_by_role("link", name="Shops").click()
        # Why only some lines need this: the page says which ones map by themselves.
        await page.get_by_text("whose SKU is one of ours").wait_for()
        card = page.locator(".card").filter(has_text=shop).filter(has_text="not mapped")
        await card.get_by_label("Shop SKU, or variant:<id> / product:<id>").fill(payload["line_items"][0]["sku"])
        await card.get_by_label("Our SKU").fill(product)
        await card.get_by_role("button", name="Map").click()
        await page.locator(".card").filter(has_text=shop).filter(has_text="not mapped").wait_for(state="detached")
        order_id = await accepted_order_id(c, "shopify", shop, payload["id"])
        (placed,) = await listed_in_orders(c, "shopify", order_id)
        assert placed["channel_shop"] == shop
        # The order's page says which shop line became which of ours, and how.
        await page.goto(f"{system.gateway}/#/orders/{order_id}")
        shop_lines = page.locator("section").filter(has_text="From the shop's lines")
        await shop_lines.get_by_text("mapped by shop SKU").wait_for()
        text = await shop_lines.inner_text()
        assert payload["line_items"][0]["sku"] in text and product in text
        await page.close()


async def test_a_viewer_sees_everything_and_no_action(browser, system):
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    await page.goto(system.gateway + "/")
    await page.get_by_label("API key").fill("dev-viewer-key")
    await page.get_by_role("button", name="Use this key").click()
    await page.get_by_role("heading", name="Orders").wait_for()
    assert await page.get_by_role("link", name="New order").count() == 0
    for route, forbidden in (("#/production", "Start"), ("#/shipping", "Ship"), ("#/stock", "Receive")):
        await page.goto(f"{system.gateway}/{route}")
        await page.locator("main h1").wait_for()
        assert await page.get_by_role("button", name=forbidden, exact=True).count() == 0, route
    await page.close()


async def test_a_shortage_is_bought_and_received_with_clicks_and_the_waiting_order_resumes(browser, system):
    t = tag()
    product, oil = f"BALM-{t}", f"WAX-{t}"
    async with client(system) as c:
        await item(c, product, "finished", "pcs")
        await item(c, oil, "raw", "kg", supplier_lead_time_days=6)
        await recipe(c, product, [(oil, "0.1", "kg")], batch_min="20", batch_multiple="10")
        await recipe_replicated(c, product, [oil])
        supplier = (await c.post("/api/suppliers", json={"name": f"Wax Works {t}", "email": f"wax-{t.lower()}@example.com"})).json()
        terms = await c.put(f"/api/suppliers/{supplier['supplier_id']}/materials/{oil}",
                            json={"lead_time_days": 6, "pack_size": "5", "min_order_quantity": "5", "price": "14.5",
                                  "currency": "EUR", "preferred": True})
        assert terms.status_code == 200, terms.text
        placed = await c.post("/api/orders", json={"customer": {"name": f"Waiting {t}", "email": f"w-{t.lower()}@example.com"},
                                                   "lines": [{"sku": product, "quantity": "20", "unit": "pcs"}]})
        order_id = placed.json()["order_id"]

    page = await signed_in(browser, system, 1280)
    await page.get_by_role("link", name="Buying").click()
    row = page.get_by_role("row").filter(has_text=oil).first  # the suggestions table comes first
    await row.wait_for(timeout=60_000)
    assert "5 kg" in await row.inner_text()  # 2 kg missing, bought in whole packs of 5
    order_no = placed.json()["order_no"]
    assert f"{order_no} line 1" in await row.inner_text()  # the waiting order by the number people use
    terms_shown = page.locator("li").filter(has_text=f"{oil}:").first
    assert "14.50 EUR per kg" in await terms_shown.inner_text()  # a price, not the six places stored
    await page.get_by_role("button", name="Draft purchase orders for these").click()
    await page.get_by_role("row").filter(has_text=f"Wax Works {t}").get_by_role("link", name=re.compile(r"^PO")).click()
    await page.get_by_role("button", name="Send to supplier").click()
    await page.locator("h1 .status", has_text="Sent").wait_for()
    await page.get_by_label("Quantity received").fill("5")
    await page.get_by_label("Supplier lot number").fill(f"WX-{t}")
    await page.get_by_role("button", name="Receive").click()
    await page.locator("h1 .status", has_text="Received").wait_for()
    await page.goto(f"{system.gateway}/#/orders/{order_id}")
    await page.locator("h1 .status", has_text="Materials reserved").wait_for(timeout=60_000)
    assert page.errors == []
    await page.close()


async def test_a_recall_opened_and_closed_with_clicks(browser, system):
    from flows import batches_of, place, produce, ship, wait_status

    setup = await a_made_to_order_product(system)
    email = f"recalled-{setup['tag'].lower()}@example.com"
    async with client(system) as c:
        order_id = await place(c, [(setup["product"], "10", "pcs")], name=f"Recalled {setup['tag']}", email=email)
        [batch] = await batches_of(c, order_id)
        await produce(c, batch["batch_id"])
        await wait_status(c, order_id, "ready_to_ship")
        await ship(c, order_id)
        await wait_status(c, order_id, "shipped")

    page = await signed_in(browser, system, 1280)
    page.on("dialog", lambda d: d.accept())
    await page.get_by_role("link", name="Trace").click()
    await page.get_by_label("Lot number (as printed on the label)").fill(setup["supplier_lot"])
    await page.get_by_role("button", name="Trace").click()
    await page.get_by_text(f"Recall lot").first.click()
    await page.get_by_label("Reason").fill("supplier reports contamination")
    await page.get_by_role("button", name="Open recall").click()
    await page.get_by_role("heading", name=re.compile("Recall of lot")).wait_for()
    row = page.get_by_role("row").filter(has_text=f"Recalled {setup['tag']}")
    await row.get_by_role("button", name="Acknowledged").click()
    await page.get_by_role("row").filter(has_text=f"Recalled {setup['tag']}").filter(has_text="acknowledged").wait_for()
    await page.get_by_role("button", name="Close: dispose of the stock").click()
    await page.get_by_text("Closed (dispose)").wait_for()

    await page.get_by_role("link", name="E-mails").click()
    recall_mails = page.locator("details").filter(has_text=email).filter(has_text="Recall notice")
    await recall_mails.first.wait_for(timeout=60_000)  # the page looks again by itself
    assert await recall_mails.count() == 1  # the recall mail once
    assert page.errors == []
    await page.close()
