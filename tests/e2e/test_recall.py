"""A recall as a workflow, across every service as its own process (issue 10's acceptance):
two ingredient lots -> one batch -> three orders (one shipped, two with their goods allocated
and a prepared shipment). Opening a recall on an ingredient lot by its printed supplier lot
number holds it and the finished lot; the two unshipped orders' goods are blocked with their
shipments, only the customer who received goods is e-mailed (once), a new order is not served
from the held lots, and closing the recall disposes of the remaining stock."""

from __future__ import annotations


import pytest

from flows import batches_of, d, item, lots, place, produce, receive, recipe, ship, tag, wait_status
from harness import client, ok, poll
from test_saga import recipe_known_to_inventory

pytestmark = pytest.mark.e2e


async def shipment_of(c, order_id: str, status: str) -> dict:
    async def found():
        items = await ok(await c.get("/api/shipments", params={"order_id": order_id}))
        items = items["items"] if isinstance(items, dict) else items
        return next((s for s in items if s["status"] == status), None)

    return await poll(found, deadline=60, what=f"a {status} shipment of {order_id}")


async def timeline(c, order_id: str) -> list[dict]:
    return (await ok(await c.get(f"/api/orders/{order_id}")))["order"]["timeline"]


async def test_a_recall_holds_blocks_tells_only_who_received_goods_and_closes_by_disposal(system):
    t = tag()
    fg, wax, jar = f"BALM-{t}", f"WAX-{t}", f"JAR-{t}"
    async with client(system) as c:
        await item(c, fg, "finished", "pcs", shelf_life_days=365)
        await item(c, wax, "raw", "kg")
        await item(c, jar, "raw", "pcs")
        await receive(c, wax, "2", "kg", lot_no=f"W1-{t}", supplier_lot_no=f"SUP-W-{t}")
        await receive(c, jar, "200", "pcs", expiry_days=None, lot_no=f"J1-{t}")
        await recipe(c, fg, [(wax, "15", "g"), (jar, "1", "pcs")])
        await recipe_known_to_inventory(system, fg)

        shipped_to = await place(c, [(fg, "30", "pcs")], name="Ada", email=f"ada-{t}@example.com")
        (batch,) = await batches_of(c, shipped_to)  # 50 pcs: 20 more than Ada's
        waiting = [await place(c, [(fg, "10", "pcs")], name=n, email=f"{n.lower()}-{t}@example.com") for n in ("Bob", "Cy")]
        for order_id in waiting:  # promised from the batch's surplus
            await wait_status(c, order_id, "materials_reserved")
        await produce(c, batch["batch_id"])
        for order_id in [shipped_to, *waiting]:
            await wait_status(c, order_id, "ready_to_ship")
        sent = await ship(c, shipped_to)
        await wait_status(c, shipped_to, "shipped")
        # Inventory has deducted what left (its Shipped may trail orders'): 50 made, 30 shipped.
        await poll(lambda: _on_hand(c, fg, batch["batch_no"], 20), deadline=30, what="the shipment deducted in inventory")
        for order_id in waiting:
            await shipment_of(c, order_id, "prepared")

        # Opened by the supplier's lot number printed on the wax label.
        recall = await ok(await c.post("/api/recalls", json={"lot": f"SUP-W-{t}", "reason": "supplier: contamination"}), 201)
        assert {x["lot_no"] for x in recall["lots"]} == {f"W1-{t}", batch["batch_no"]}
        assert [cu["order_id"] for cu in recall["customers"]] == [shipped_to]
        assert (await ok(await c.get(f"/api/lots/{batch['batch_no']}")))["on_hold"]

        # The unshipped orders' goods are blocked with their shipments, and they say why.
        for order_id in waiting:
            blocked = await shipment_of(c, order_id, "blocked")
            assert any(batch["batch_no"] in reason for reason in blocked["blocked_reasons"])
            refused = await c.post(f"/api/shipments/{blocked['shipment_id']}/ship", json={"carrier": "DHL", "tracking_no": f"T{t}"})
            assert refused.status_code == 409 and "blocked" in refused.text
            await poll(lambda o=order_id: _has(c, o, "LotHeld"), deadline=30, what=f"LotHeld on {order_id}'s timeline")

        # Only the customer who received goods is told, once, with the parcel's tracking number.
        mail = await poll(lambda: next((m for m in system.mailbox.messages if "Recall" in m["subject"]
                                        and m["to"] == [f"ada-{t}@example.com"]), None),
                          deadline=30, what="the recall e-mail to Ada")
        assert sent["tracking_no"] in mail["body"] and batch["batch_no"] in mail["body"]
        await poll(lambda: _has(c, shipped_to, "RecallOpened"), deadline=30, what="RecallOpened on Ada's timeline")

        # A new order is not served from the held lots (nor made of the held wax).
        newcomer = await place(c, [(fg, "5", "pcs")], name="Dee", email=f"dee-{t}@example.com")
        await wait_status(c, newcomer, "awaiting_materials")
        assert not (await ok(await c.get(f"/api/orders/{newcomer}")))["order"]["lines"][0].get("allocations")

        # Closed once Ada acknowledged: the remaining stock is written off, the lots stay held.
        early = await c.post(f"/api/recalls/{recall['recall_id']}/close", json={"disposition": "dispose"})
        assert early.status_code == 409 and "acknowledge" in early.text
        await ok(await c.post(f"/api/recalls/{recall['recall_id']}/customers/{shipped_to}", json={"state": "acknowledged"}))
        closed = await ok(await c.post(f"/api/recalls/{recall['recall_id']}/close", json={"disposition": "dispose"}))
        assert closed["status"] == "closed" and all(x["on_hold"] and d(x["on_hand"]) == 0 for x in closed["lots"])
        disposed = [m for m in await ok(await c.get("/api/ledger", params={"lot_id": batch["batch_no"]})) if m["kind"] == "disposal"]
        assert [d(m["quantity"]) for m in disposed] == [d(-20)]
        for order_id in waiting:
            await poll(lambda o=order_id: _has(c, o, "StockReleased"), deadline=30, what=f"StockReleased on {order_id}")

        recall_mails = [m for m in system.mailbox.messages if m["subject"].startswith("Recall notice")
                        and t.lower() in m["to"][0].lower()]
        assert [m["to"] for m in recall_mails] == [[f"ada-{t}@example.com"]]


async def _has(c, order_id: str, event_type: str) -> bool:
    return any(e["event_type"] == event_type for e in await timeline(c, order_id))


async def _on_hand(c, sku: str, lot_no: str, quantity: int) -> bool:
    return d((await lots(c, sku))[lot_no]["on_hand"]) == quantity
