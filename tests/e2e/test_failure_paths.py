"""Failure paths across the running system: cancellation undoes what it must, a shortage
resumes by itself after a goods receipt, a yield shortfall ships what was made and backorders
the rest. Every service a separate process on real Kafka and PostgreSQL."""

from __future__ import annotations

import pytest

from flows import batches_of, d, item, lots, order, place, produce, receive, ship, tag, wait_status
from harness import client, ok, poll
from test_saga import make_to_order_product

pytestmark = pytest.mark.e2e


def timeline_types(view: dict) -> list[str]:
    return [e["event_type"] for e in view["order"]["timeline"]]


async def test_cancel_a_ready_order_releases_its_stock_and_withdraws_the_shipment(system):
    t = tag()
    async with client(system) as c:
        fg = f"CANC-{t}"
        await item(c, fg, "finished", "pcs")
        await receive(c, fg, "10", "pcs", lot_no=f"L-{t}")
        order_id = await place(c, [(fg, "4", "pcs")])
        await wait_status(c, order_id, "ready_to_ship")
        await poll(lambda: _shipments(c, order_id, "prepared"), what="a prepared shipment")

        await ok(await c.post(f"/api/orders/{order_id}/cancel", json={"reason": "customer changed mind"}))
        await ok(await c.post(f"/api/orders/{order_id}/cancel", json={}))  # twice is harmless

        async def undone():
            view = (await c.get(f"/api/orders/{order_id}")).json()
            kinds = timeline_types(view)
            return view if {"StockReleased", "ShipmentWithdrawn"} <= set(kinds) else None

        view = await poll(undone, what="allocations released and shipment withdrawn")
        assert view["order"]["status"] == "cancelled"
        lot = (await lots(c, fg))[f"L-{t}"]
        assert d(lot["allocated"]) == 0 and d(lot["available"]) == 10
        assert await _shipments(c, order_id, "cancelled")
        refused = await c.post(f"/api/shipments/{(await _shipments(c, order_id, 'cancelled'))[0]['shipment_id']}/ship",
                               json={"carrier": "DHL", "tracking_no": f"TRK{t}"})
        assert refused.status_code == 409


async def _shipments(c, order_id: str, status: str) -> list[dict]:
    r = (await c.get("/api/shipments", params={"order_id": order_id})).json()
    items = r["items"] if isinstance(r, dict) else r
    return [s for s in items if s["status"] == status]


async def test_cancel_releases_a_planned_batch_nobody_else_needs(system):
    t = tag()
    async with client(system) as c:
        p = await make_to_order_product(system, c, t)
        order_id = await place(c, [(p["fg"], "30", "pcs")])
        [batch] = await batches_of(c, order_id)
        assert d((await lots(c, p["wax"]))[f"W1-{t}"]["reserved"]) == d("0.75")

        await ok(await c.post(f"/api/orders/{order_id}/cancel", json={"reason": "no longer needed"}))

        seen: dict = {}

        async def released():
            # What was last seen goes into the failure message: which hop did not happen.
            seen["wax reserved"] = d((await lots(c, p["wax"]))[f"W1-{t}"]["reserved"])
            seen["batch"] = (await c.get(f"/api/batches/{batch['batch_id']}")).json()["status"]
            view = await order(c, order_id)
            # The order's timeline learns of the batch through its own consumer: poll it too.
            seen["order"] = (view["order"]["status"], "BatchCancelled" in timeline_types(view))
            return seen["batch"] == "cancelled" and seen["wax reserved"] == 0 and seen["order"] == ("cancelled", True)

        try:
            await poll(released, what="batch cancelled, its material released and the order's timeline telling it")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last seen {seen}") from None


async def test_cancelling_a_shipped_order_is_refused_with_the_reason(system):
    t = tag()
    async with client(system) as c:
        fg = f"SHIPD-{t}"
        await item(c, fg, "finished", "pcs")
        await receive(c, fg, "3", "pcs")
        order_id = await place(c, [(fg, "1", "pcs")])
        await wait_status(c, order_id, "ready_to_ship")
        await ship(c, order_id)
        await wait_status(c, order_id, "shipped")
        r = await c.post(f"/api/orders/{order_id}/cancel", json={"reason": "too late"})
        assert r.status_code == 409 and "ship" in r.json()["detail"]


async def test_a_short_order_waits_and_resumes_by_itself_after_a_goods_receipt(system):
    t = tag()
    async with client(system) as c:
        # No wax at all yet: the order must wait, with the shortage visible for purchasing.
        p = await make_to_order_product(system, c, t, material_kg="0.1")
        order_id = await place(c, [(p["fg"], "50", "pcs")])
        view = await wait_status(c, order_id, "awaiting_materials")
        assert any(s.get("material_sku") == p["wax"] and d(s["missing"]) == d("0.65") for s in view["order"]["shortages"])
        to_buy = (await c.get("/api/shortages")).json()
        assert any(s["material_sku"] == p["wax"] and order_id in str(s["orders"]) for s in to_buy)

        await receive(c, p["wax"], "1", "kg", lot_no=f"W2-{t}")
        await wait_status(c, order_id, "materials_reserved")
        [batch] = await batches_of(c, order_id)
        await produce(c, batch["batch_id"])
        await wait_status(c, order_id, "ready_to_ship")


async def test_a_yield_shortfall_ships_what_was_made_and_backorders_the_rest(system):
    t = tag()
    async with client(system) as c:
        p = await make_to_order_product(system, c, t)
        order_id = await place(c, [(p["fg"], "50", "pcs")])
        [batch] = await batches_of(c, order_id)
        await produce(c, batch["batch_id"], output="40")  # 10 short of the 50 planned

        view = await wait_status(c, order_id, "allocated")
        assert sum(d(a["quantity"]) for a in view["allocations"]) == 40
        await ship(c, order_id)
        await wait_status(c, order_id, "partially_shipped")

        # The remaining 10 were planned again: a second batch covers them.
        batches = await batches_of(c, order_id, n=2)
        second = next(b for b in batches if b["batch_id"] != batch["batch_id"])
        await produce(c, second["batch_id"])
        await ship(c, order_id)
        view = await wait_status(c, order_id, "shipped")
        assert "backordered" in " ".join(e["detail"] for e in view["order"]["timeline"])
