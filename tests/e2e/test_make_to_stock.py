"""Make to stock across the running system (every service its own process, two instances of
inventory and production): concurrent orders draw finished stock below its reorder point
and exactly one batch for stock joins production's queue; an order placed while it is
planned is promised against it (expected date = the batch's end + handling) and cancelling
that order leaves the batch planned; a material below its point is one purchase suggestion."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from flows import d, item, place, receive, recipe, tag, wait_status
from harness import client, ok, poll
from test_saga import recipe_known_to_inventory

pytestmark = pytest.mark.e2e


async def stock_batches(c, sku: str) -> list[dict]:
    return [b for b in await ok(await c.get("/api/batches", params={"sku": sku})) if b["purpose"] == "stock"]


async def test_reorder_point_plans_one_batch_for_stock_that_orders_are_promised_against(system):
    t = tag()
    soap, oil = f"SOAP-{t}", f"OIL-{t}"
    async with client(system) as c:
        await item(c, soap, "finished", "pcs", shelf_life_days=365)
        await item(c, oil, "raw", "kg", supplier_lead_time_days=10)
        await receive(c, oil, "100", "kg", lot_no=f"OIL1-{t}")
        await recipe(c, soap, [(oil, "0.1", "kg")], batch_min="50", batch_multiple="25", lead_time_days=2)
        await recipe_known_to_inventory(system, soap)
        await receive(c, soap, "30", "pcs", lot_no=f"SOAP1-{t}")

        # Bad rules are refused with the reason.
        bad = await c.put(f"/api/reorder-rules/{soap}", json={"reorder_point": "20", "target": "10", "unit": "pcs"})
        assert bad.status_code == 422 and "below the reorder point" in bad.text
        bad = await c.put(f"/api/reorder-rules/{soap}", json={"reorder_point": "-1", "target": "10", "unit": "pcs"})
        assert bad.status_code == 422 and "negative" in bad.text
        bad = await c.put(f"/api/reorder-rules/{soap}", json={"reorder_point": "2", "target": "10", "unit": "kg"})
        assert bad.status_code == 422 and "kept in pcs" in bad.text
        bad = await c.put(f"/api/reorder-rules/NOPE-{t}", json={"reorder_point": "2", "target": "10", "unit": "kg"})
        assert bad.status_code == 422 and "unknown item" in bad.text

        rule = await ok(await c.put(f"/api/reorder-rules/{soap}",
                                    json={"reorder_point": "20", "target": "60", "unit": "pcs"}))
        assert (rule["status"], d(rule["position"])) == ("ok", 30)

        # Four orders at once take 20 of the 30: one crossing, one batch for stock.
        orders = await asyncio.gather(*[place(c, [(soap, "5", "pcs")], name=f"Buyer {n}") for n in range(4)])
        for order_id in orders:
            await wait_status(c, order_id, "allocated", "ready_to_ship")
        (batch,) = await poll(lambda: stock_batches(c, soap), deadline=60, what="the batch for stock")
        # 15 free when crossed: 45 up to the target, in the recipe's batches (min 50) -> 50.
        assert (batch["status"], d(batch["planned_quantity"]), batch["covers"]) == ("planned", 50, [])
        reps = await ok(await c.get("/api/replenishments", params={"sku": soap}))
        assert [(r["action"], r["status"], r["plan_id"]) for r in reps] == [("batch", "planned", batch["batch_id"])]
        oil_stock = (await ok(await c.get("/api/stock", params={"sku": oil})))[0]
        assert d(oil_stock["reserved"]) == 5  # its materials reserved like an order's batch

        # An order for more than the free stock is promised against the batch for stock.
        big = await place(c, [(soap, "30", "pcs")], name="Big Buyer")
        await wait_status(c, big, "materials_reserved", "allocated")

        async def covered():
            b = await ok(await c.get(f"/api/batches/{batch['batch_id']}"))
            return b if [(x["order_id"], d(x["quantity"])) for x in b["covers"]] == [(big, d(20))] else None

        await poll(covered, deadline=60, what="the order covered by the batch for stock")

        # Its expected date is the batch's end + one handling day. (The promise is the first date
        # orders knew: it may be the day of the partial allocation if that news came first.)
        ready = (date.fromisoformat(batch["planned_end"]) + timedelta(days=1)).isoformat()

        async def dated():
            o = (await ok(await c.get(f"/api/orders/{big}")))["order"]
            return o if o["expected_date"] == ready else None

        await poll(dated, deadline=60, what=f"the expected date {ready}")
        assert len(await stock_batches(c, soap)) == 1  # 0 free + 30 unpromised: above the point

        # Cancelling that order leaves the batch for stock planned (its promise released).
        await ok(await c.post(f"/api/orders/{big}/cancel", json={"reason": "changed mind"}))
        await wait_status(c, big, "cancelled")

        async def released():
            b = await ok(await c.get(f"/api/batches/{batch['batch_id']}"))
            return b if b["covers"] == [] else None

        after = await poll(released, deadline=60, what="the batch for stock without the cancelled order")
        assert (after["status"], d(after["planned_quantity"]), after["purpose"]) == ("planned", 50, "stock")

        async def unpromised():
            plans = await ok(await c.get("/api/plans", params={"status": "planned"}))
            return [p for p in plans if p["plan_id"] == batch["batch_id"] and d(p["promised"]) == 0]

        (plan,) = await poll(unpromised, deadline=60, what="inventory to release the promise on the batch for stock")
        assert plan["purpose"] == "stock"

        # A material below its point: one purchase suggestion, reason "reorder point".
        # 95 kg free (5 reserved); below 100 -> up to 200: 105 to buy.
        rule = await ok(await c.put(f"/api/reorder-rules/{oil}",
                                    json={"reorder_point": "100", "target": "200", "unit": "kg"}))
        assert rule["status"] == "replenishing"

        async def suggested():
            found = [s for s in await ok(await c.get("/api/suggestions")) if s["material_sku"] == oil]
            return found or None

        (suggestion,) = await poll(suggested, deadline=60, what="the purchase suggestion")
        assert suggestion["because"] == ["reorder point"] and d(suggestion["missing"]) == 105
        reps = await ok(await c.get("/api/replenishments", params={"sku": oil}))
        assert [(r["action"], r["status"]) for r in reps] == [("purchase", "suggested")]
