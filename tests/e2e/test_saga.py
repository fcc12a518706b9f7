"""The order-to-shipment saga across separate processes on real Kafka and PostgreSQL, driven
through the gateway as an operator would. Each test uses its own SKUs."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from flows import batches_of, d, item, ledger, lots, place, produce, receive, recipe, ship, tag, wait_status
from harness import client, poll

pytestmark = pytest.mark.e2e


def statuses(view: dict) -> list[str]:
    return [e["status"] for e in view["order"]["timeline"]]


def events(view: dict) -> list[tuple[str, str]]:
    return [(e["event_type"], e["producer"]) for e in view["order"]["timeline"]]


def on_hand(ledger_rows: list[dict], lot_id: str) -> Decimal:
    return sum((d(m["quantity"]) for m in ledger_rows if m["lot_id"] == lot_id), Decimal(0))


async def wait_mail(system, tracking_no: str) -> dict:
    return await poll(lambda: next((m for m in system.mailbox.messages if tracking_no in m["body"]), None),
                      deadline=30, what=f"an e-mail with {tracking_no}")


async def recipe_known_to_inventory(system, sku: str) -> None:
    import httpx

    url = f"http://127.0.0.1:{system.ports['inventory']}/recipes/{sku}"

    async def known():
        async with httpx.AsyncClient() as http:
            return (await http.get(url)).status_code == 200

    await poll(known, deadline=30, what=f"inventory to know the recipe of {sku}")


async def make_to_order_product(system, c, t: str, *, material_kg: str = "10", bottles: str = "500") -> dict:
    """A finished good made from two materials (mass and count), with stock of both."""
    fg, wax, jar = f"BALM-{t}", f"WAX-{t}", f"JAR-{t}"
    await item(c, fg, "finished", "pcs", shelf_life_days=365)
    await item(c, wax, "raw", "kg")
    await item(c, jar, "raw", "pcs")
    wax_lot = await receive(c, wax, material_kg, "kg", lot_no=f"W1-{t}", supplier_lot_no=f"SUP-W-{t}")
    jar_lot = await receive(c, jar, bottles, "pcs", expiry_days=None, lot_no=f"J1-{t}", supplier_lot_no=f"SUP-J-{t}")
    # 15 g of wax and one jar per balm; batches of at least 50, in steps of 25.
    await recipe(c, fg, [(wax, "15", "g"), (jar, "1", "pcs")])
    await recipe_known_to_inventory(system, fg)
    return {"fg": fg, "wax": wax, "jar": jar, "wax_lot": wax_lot, "jar_lot": jar_lot}


async def test_order_from_stock_is_allocated_fefo_shipped_and_the_customer_told(system):
    t = tag()
    fg = f"SOAP-{t}"
    async with client(system) as c:
        await item(c, fg, "finished", "pcs")
        late = await receive(c, fg, "10", "pcs", expiry_days=300, lot_no=f"LATE-{t}")
        early = await receive(c, fg, "10", "pcs", expiry_days=100, lot_no=f"EARLY-{t}")
        expired = await receive(c, fg, "50", "pcs", expiry_days=-1, received_days=-400, lot_no=f"OLD-{t}")

        order_id = await place(c, [(fg, "12", "pcs")], email=f"buyer-{t}@example.com")
        view = await wait_status(c, order_id, "ready_to_ship")
        taken = {a["lot_no"]: d(a["quantity"]) for a in view["allocations"]}
        assert taken == {f"EARLY-{t}": 10, f"LATE-{t}": 2}  # earliest expiry first, expired never

        shipment = await ship(c, order_id, carrier="DHL")
        view = await wait_status(c, order_id, "shipped")
        mail = await wait_mail(system, shipment["tracking_no"])
        assert mail["to"] == [f"buyer-{t}@example.com"] and "DHL" in mail["body"]

        async def deducted():
            rows = await ledger(c, fg)
            return rows if on_hand(rows, early["lot_id"]) == 0 else None

        rows = await poll(deducted, what="stock deducted by the shipment")
        assert on_hand(rows, late["lot_id"]) == 8
        assert on_hand(rows, expired["lot_id"]) == 50
        assert sorted(m["kind"] for m in rows if m["lot_id"] == early["lot_id"]) == ["receipt", "shipment"]
        current = await lots(c, fg)
        assert d(current[f"EARLY-{t}"]["on_hand"]) == 0 and d(current[f"LATE-{t}"]["allocated"]) == 0

    assert statuses(view)[0] == "received"
    # The allocation dates the order: the first date is published too (PromiseChanged).
    assert events(view) == [("OrderPlaced", "orders"), ("OrderAllocated", "inventory"), ("PromiseChanged", "orders"),
                            ("Shipped", "shipping")]
    assert [e["at"] for e in view["order"]["timeline"]] == sorted(e["at"] for e in view["order"]["timeline"])


async def test_make_to_order_reserves_produces_allocates_and_ships(system):
    t = tag()
    async with client(system) as c:
        p = await make_to_order_product(system, c, t)
        order_id = await place(c, [(p["fg"], "30", "pcs")])
        await wait_status(c, order_id, "materials_reserved")
        [batch] = await batches_of(c, order_id)
        assert d(batch["planned_quantity"]) == 50  # batch_min, though 30 were ordered

        # 50 balms x 15 g = 0.75 kg of wax and 50 jars are set aside, not yet consumed.
        wax_lot = (await lots(c, p["wax"]))[f"W1-{t}"]
        assert d(wax_lot["reserved"]) == d("0.75") and d(wax_lot["on_hand"]) == 10

        await produce(c, batch["batch_id"], output="50")
        view = await wait_status(c, order_id, "ready_to_ship")
        assert {a["lot_no"] for a in view["allocations"]} == {batch["batch_no"]}
        await ship(c, order_id)
        view = await wait_status(c, order_id, "shipped")

        async def settled():
            fg_lots = await lots(c, p["fg"])
            lot = fg_lots.get(batch["batch_no"])
            return fg_lots if lot and d(lot["on_hand"]) == 20 else None

        fg_lots = await poll(settled, what="finished lot made (50) and shipped (30)")
        assert d(fg_lots[batch["batch_no"]]["allocated"]) == 0
        wax_rows = await ledger(c, p["wax"])
        assert on_hand(wax_rows, p["wax_lot"]["lot_id"]) == d("9.25")
        assert sorted(m["kind"] for m in wax_rows) == ["consumption", "receipt"]
        jar_lot = (await lots(c, p["jar"]))[f"J1-{t}"]
        assert d(jar_lot["on_hand"]) == 450 and d(jar_lot["reserved"]) == 0

        trace = (await c.get(f"/api/orders/{order_id}/trace")).json()
        assert p["wax_lot"]["lot_id"] in str(trace) and f"SUP-W-{t}" in str(trace)
        forward = (await c.get(f"/api/lots/{p['wax_lot']['lot_id']}/trace")).json()
        assert order_id in str(forward) and batch["batch_no"] in str(forward)

    assert [s for s, _ in events(view)][:1] == ["OrderPlaced"]
    seen = [s for s, _ in events(view)]
    for earlier, later in [("OrderPlaced", "MaterialsReserved"), ("MaterialsReserved", "BatchStarted"),
                           ("BatchStarted", "OrderAllocated"), ("OrderAllocated", "Shipped")]:
        assert seen.index(earlier) < seen.index(later), seen
    assert {"materials_reserved", "in_production", "ready_to_ship", "shipped"} <= set(statuses(view))


async def test_mixed_order_takes_stock_for_one_line_and_makes_the_other(system):
    t = tag()
    async with client(system) as c:
        p = await make_to_order_product(system, c, t)
        soap = f"SOAP-{t}"
        await item(c, soap, "finished", "pcs")
        await receive(c, soap, "5", "pcs", lot_no=f"S1-{t}")

        order_id = await place(c, [(soap, "5", "pcs"), (p["fg"], "20", "pcs")])
        view = await wait_status(c, order_id, "materials_reserved", "allocated")
        [batch] = await batches_of(c, order_id)
        await produce(c, batch["batch_id"])
        view = await wait_status(c, order_id, "ready_to_ship")
        by_line = {}
        for a in view["allocations"]:
            by_line.setdefault(a["line_no"], set()).add(a["lot_no"])
        assert by_line == {1: {f"S1-{t}"}, 2: {batch["batch_no"]}}
        await ship(c, order_id)
        await wait_status(c, order_id, "shipped")

        async def soap_gone():
            lot = (await lots(c, soap))[f"S1-{t}"]
            return d(lot["on_hand"]) == 0

        await poll(soap_gone, what="soap stock deducted")


async def test_one_batch_covers_two_orders_the_second_promised_against_surplus(system):
    t = tag()
    async with client(system) as c:
        p = await make_to_order_product(system, c, t)
        first = await place(c, [(p["fg"], "30", "pcs")])
        [batch] = await batches_of(c, first)
        second = await place(c, [(p["fg"], "15", "pcs")])
        await wait_status(c, second, "materials_reserved")
        [batch2] = await batches_of(c, second)
        assert batch2["batch_id"] == batch["batch_id"]

        # Only one batch's worth of material is reserved: 0.75 kg, not 1.5 kg.
        assert d((await lots(c, p["wax"]))[f"W1-{t}"]["reserved"]) == d("0.75")
        covered = (await c.get(f"/api/batches/{batch['batch_id']}")).json()["covers"]
        assert {(x["order_id"], d(x["quantity"])) for x in covered} == {(first, 30), (second, 15)}

        await produce(c, batch["batch_id"])
        for order_id, qty in ((first, 30), (second, 15)):
            view = await wait_status(c, order_id, "ready_to_ship")
            assert sum(d(a["quantity"]) for a in view["allocations"]) == qty
        # The 5 left over are stock, free for anyone.
        lot = (await lots(c, p["fg"]))[batch["batch_no"]]
        assert d(lot["on_hand"]) == 50 and d(lot["allocated"]) == 45 and d(lot["available"]) == 5


async def test_two_orders_racing_for_material_enough_for_one(system):
    """Two instances of inventory run in one group; the orders' keys land on different
    partitions, so they are handled at the same time by different processes."""
    t = tag()
    async with client(system) as c:
        # Wax for exactly one batch of 50 (0.75 kg); each order needs its own batch.
        p = await make_to_order_product(system, c, t, material_kg="0.75")
        orders = await asyncio.gather(*(place(c, [(p["fg"], "50", "pcs")]) for _ in range(2)))
        views = await asyncio.gather(
            *(wait_status(c, o, "materials_reserved", "awaiting_materials") for o in orders)
        )
        got = sorted(v["order"]["status"] for v in views)
        assert got == ["awaiting_materials", "materials_reserved"]
        waiting = next(v for v in views if v["order"]["status"] == "awaiting_materials")
        shortage = next(s for s in waiting["order"]["shortages"] if s.get("material_sku") == p["wax"])
        assert d(shortage["missing"]) == d("0.75")
        wax_lot = (await lots(c, p["wax"]))[f"W1-{t}"]
        assert d(wax_lot["reserved"]) == d("0.75") <= d(wax_lot["on_hand"])
        shortages = (await c.get("/api/shortages")).json()
        assert any(s["material_sku"] == p["wax"] and waiting["order"]["order_id"] in str(s["orders"]) for s in shortages)
