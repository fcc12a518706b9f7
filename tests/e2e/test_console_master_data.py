"""Master data kept with clicks in the console (real browser, every service its own process):
a recipe published (its mistakes shown in words first), an item changed so that the orders
service refuses what the new bound forbids, a supplier's terms for a material, and a shop
connector's intake rules, secret rotation and removal."""

from __future__ import annotations

import pytest
from browsing import browser, signed_in  # noqa: F401  (browser: a fixture)
from flows import item, tag
from harness import client, ok, poll

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
async def test_a_recipe_is_published_with_clicks_after_its_mistakes_are_shown(browser, system, width):
    t = tag()
    product, oil, jar = f"SERUM-{t}", f"OIL-{t}", f"JAR-{t}"
    async with client(system) as c:
        await item(c, product, "finished", "pcs")
        await item(c, oil, "raw", "kg")
        await item(c, jar, "raw", "pcs")
        page = await signed_in(browser, system, width)
        await page.get_by_role("link", name="Recipes").click()
        await page.get_by_role("heading", name="Recipes", level=1).wait_for()
        await page.get_by_label("Product", exact=True).fill(product)
        await page.get_by_label("Product", exact=True).dispatch_event("change")
        await page.get_by_label("Name", exact=True).fill(f"Serum {t}")
        await page.get_by_label("Smallest batch").fill("20")
        await page.get_by_label("Batch size step").fill("10")
        await page.get_by_label("Expected yield (%)").fill("95")
        await page.get_by_label("Production lead time (days)").fill("3")
        first = page.locator(".ingredient").nth(0)
        await first.get_by_label("Ingredient").fill(oil)
        await first.get_by_label("Quantity per 1 unit of output").fill("0.03")
        # A mistake: the oil is counted in kg, the operator picks pieces.
        await first.locator("select").select_option("pcs")
        await page.get_by_role("button", name="Add ingredient").click()
        second = page.locator(".ingredient").nth(1)
        await second.get_by_label("Ingredient").fill(jar)
        await second.get_by_label("Ingredient").dispatch_event("change")
        await second.get_by_label("Quantity per 1 unit of output").fill("1")
        await page.get_by_role("button", name="Publish recipe").click()
        error = page.locator("form .form-error").filter(has_text=oil)
        await error.wait_for()
        assert "kg" in await error.inner_text()
        assert (await c.get(f"/api/recipes/{product}")).status_code == 404  # nothing published

        await first.locator("select").select_option("kg")
        await page.get_by_role("button", name="Publish recipe").click()
        await page.get_by_role("heading", name=f"Serum {t} ({product})").wait_for()
        await page.get_by_text("Version 1,").wait_for()
        published = await ok(await c.get(f"/api/recipes/{product}"))
        assert {(i["sku"], float(i["quantity"]), i["unit"]) for i in published["ingredients"]} == {(oil, 0.03, "kg"), (jar, 1.0, "pcs")}
        assert float(published["expected_yield"]) == pytest.approx(0.95)
        assert (published["lead_time_days"], float(published["batch_min"]), float(published["batch_multiple"])) == (3, 20, 10)

        # The next version starts from the one in force.
        await page.get_by_role("heading", name="Publish version 2").wait_for()
        assert await page.locator(".ingredient").count() == 2
        assert page.errors == []
        await page.close()


async def test_an_item_changed_with_clicks_bounds_what_an_order_may_ask(browser, system):
    t = tag()
    product = f"TONER-{t}"
    async with client(system) as c:
        await item(c, product, "finished", "pcs")
        page = await signed_in(browser, system)
        await page.goto(f"{system.gateway}/#/stock/{product}")
        await page.get_by_text("Change this item").click()
        await page.get_by_label("Name", exact=True).fill(f"Toner {t}")
        await page.get_by_label("Most one order line may ask for (pcs)").fill("40")
        await page.get_by_role("button", name="Save item").click()
        await page.get_by_role("heading", name=f"Toner {t} ({product})").wait_for()
        changed = await ok(await c.get(f"/api/items/{product}"))
        assert (changed["name"], float(changed["max_order_quantity"])) == (f"Toner {t}", 40)

        # The orders service learns the bound from ItemDefined and refuses an order beyond it.
        order = {"customer": {"name": "Bound Tester", "email": f"bound-{t.lower()}@example.com"},
                 "lines": [{"sku": product, "quantity": "41", "unit": "pcs"}]}

        async def refused() -> bool:
            r = await c.post("/api/orders", json=order, headers={"Idempotency-Key": f"bound-{t}"})
            assert r.status_code in (201, 422), r.text
            if r.status_code == 201:
                pytest.fail(f"an order beyond the bound was accepted: {r.text}")
            return "40" in r.text

        await poll(refused, deadline=30, what="the orders service refusing more than the new bound")
        assert page.errors == []
        await page.close()


async def test_a_suppliers_terms_are_set_and_removed_with_clicks(browser, system):
    t = tag()
    wax = f"WAX-{t}"
    async with client(system) as c:
        await item(c, wax, "raw", "kg")
        supplier = await ok(await c.post("/api/suppliers", json={"name": f"Beeline {t}", "email": f"bee-{t.lower()}@example.com"}))

        async def arrived() -> bool:  # purchasing learns materials from ItemDefined
            r = await c.put(f"/api/suppliers/{supplier['supplier_id']}/materials/{wax}", json={"lead_time_days": 1, "pack_size": "1"})
            return r.status_code == 200
        await poll(arrived, deadline=30, what=f"{wax} in purchasing's catalog")
        assert (await c.delete(f"/api/suppliers/{supplier['supplier_id']}/materials/{wax}")).status_code == 204

        page = await signed_in(browser, system)
        await page.get_by_role("link", name="Buying").click()
        await page.get_by_text("Supplier terms for a material").click()
        await page.locator("select[name=supplier]").select_option(label=f"Beeline {t}")
        await page.get_by_label("Material").fill(wax)
        await page.get_by_label("Lead time (days)").fill("7")
        await page.get_by_label("Pack size").fill("-5")
        await page.get_by_role("button", name="Save terms").click()
        await page.locator(".field-error").filter(has_text="greater than 0").wait_for()  # the 422 next to the field
        await page.get_by_label("Pack size").fill("25")
        await page.get_by_label("Minimum order").fill("50")
        await page.get_by_label("Price per unit").fill("4.20")
        await page.get_by_label("Currency").fill("eur")
        await page.get_by_role("button", name="Save terms").click()
        row = page.get_by_role("row").filter(has_text=f"Beeline {t}")
        await row.get_by_text(f"{wax}: 7 d, packs of 25").wait_for()
        (terms,) = (await ok(await c.get(f"/api/suppliers/{supplier['supplier_id']}")))["materials"]
        assert (terms["material_sku"], terms["lead_time_days"], float(terms["pack_size"]), float(terms["min_order_quantity"]),
                float(terms["price"]), terms["currency"], terms["preferred"]) == (wax, 7, 25, 50, 4.2, "EUR", True)

        page.once("dialog", lambda d: d.accept())
        await row.get_by_role("button", name="Remove").click()
        await row.get_by_text(f"{wax}: 7 d").wait_for(state="detached")
        assert (await ok(await c.get(f"/api/suppliers/{supplier['supplier_id']}")))["materials"] == []
        assert page.errors == []
        await page.close()


async def test_a_connectors_rules_secret_and_removal_with_clicks(browser, system):
    from devstack.shops.shopify import ShopifyStandIn
    from shops import deliver, fixture

    t = tag()
    shop = f"settings-{t.lower()}.myshopify.com"
    async with client(system) as c:
        await ok(await c.post("/api/connectors", json={"channel": "shopify", "shop": shop, "webhook_secret": "first-secret-123456"}))
        page = await signed_in(browser, system)
        await page.get_by_role("link", name="Shops").click()
        card = page.locator("details.card").filter(has=page.locator("summary", has_text=f"shopify · {shop}")).filter(has_text="Intake rules")
        await card.locator("summary").click()
        await card.get_by_label("Unpaid orders wait until paid").uncheck()
        await card.get_by_label("Product types that are not goods (comma-separated)").fill("gift wrap, Tip , donation")
        await card.get_by_role("button", name="Save rules").click()

        async def saved() -> bool:
            rules = (await ok(await c.get(f"/api/connectors/shopify/{shop}")))["rules"]
            return rules["hold_unpaid"] is False and rules["ignore_product_types"] == ["gift wrap", "Tip", "donation"]
        await poll(saved, deadline=30, what="the intake rules saved")
        await page.get_by_text("Saved the intake rules").wait_for()
        await card.get_by_label("New webhook secret").fill("second-secret-654321")
        await card.get_by_role("button", name="Rotate secret").click()
        await page.get_by_text("New secret in force").wait_for()
        connector = await ok(await c.get(f"/api/connectors/shopify/{shop}"))
        assert "second-secret" not in str(connector) and "first-secret" not in str(connector)  # never echoed
        # The shop's webhooks signed with the new secret are taken; a forged one is not.
        with ShopifyStandIn() as shopify:
            payload = fixture("shopify", "orders_create", id=int(t, 16))
            assert (await deliver(system, "shopify", shop, shopify.webhook("orders/create", payload, "second-secret-654321"))).status_code == 200
            assert (await deliver(system, "shopify", shop, shopify.webhook("orders/create", payload, "not-the-secret-000"))).status_code == 401

        page.once("dialog", lambda d: d.accept())
        await card.get_by_role("button", name="Delete connector").click()
        await card.wait_for(state="detached")
        assert (await c.get(f"/api/connectors/shopify/{shop}")).status_code == 404
        assert page.errors == []
        await page.close()
