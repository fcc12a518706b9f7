"""Duplicate delivery of every saga event changes nothing, and one order's saga is one trace."""

from __future__ import annotations

import pytest

from flows import batches_of, ledger, lots, order, place, produce, ship, tag, wait_status
from harness import client, poll, spans
from devstack.lag import groups_caught_up
from replay import records_about, redeliver
from test_saga import make_to_order_product

pytestmark = pytest.mark.e2e


async def snapshot(c, order_id: str, skus: list[str]) -> dict:
    view = await order(c, order_id)
    shipments = (await c.get("/api/shipments", params={"order_id": order_id})).json()
    return {
        "status": view["order"]["status"],
        "timeline": [(e["event_type"], e["event_id"]) for e in view["order"]["timeline"]],
        "allocations": sorted((a["lot_no"], a["quantity"], a["status"]) for a in view["allocations"]),
        "batches": sorted((b["batch_no"], b["status"], b["planned_quantity"]) for b in view["batches"]),
        "shipments": sorted((s["shipment_id"], s["status"]) for s in (shipments["items"] if isinstance(shipments, dict) else shipments)),
        "ledger": {sku: sorted((m["lot_id"], m["kind"], m["quantity"]) for m in await ledger(c, sku)) for sku in skus},
        "lots": {sku: sorted((lot["lot_no"], lot["on_hand"], lot["reserved"], lot["allocated"]) for lot in (await lots(c, sku)).values()) for sku in skus},
    }


async def test_every_saga_event_delivered_again_changes_nothing(system):
    t = tag()
    async with client(system) as c:
        p = await make_to_order_product(system, c, t)
        order_id = await place(c, [(p["fg"], "30", "pcs")])
        [batch] = await batches_of(c, order_id)
        await produce(c, batch["batch_id"])
        await wait_status(c, order_id, "ready_to_ship")
        await ship(c, order_id)
        await wait_status(c, order_id, "shipped")
        await poll(lambda: groups_caught_up(system.stack), what="every consumer caught up")
        skus = [p["fg"], p["wax"], p["jar"]]
        before = await snapshot(c, order_id, skus)

        expected = {"OrderPlaced", "MaterialsReserved", "BatchScheduled", "BatchStarted", "BatchCompleted",
                    "OrderAllocated", "Shipped"}

        async def whole_saga():
            found = await records_about(system.stack, {order_id, batch["batch_id"]})
            kinds = {dict(r.headers)["event_type"].decode() for r in found}
            return found if expected <= kinds else None

        saga = await poll(whole_saga, deadline=30, what="the order's saga events on the topics")

        await redeliver(system.stack, saga)  # the same messages again (same event ids)
        await redeliver(system.stack, saga, new_ids=True)  # the same facts under new ids
        await poll(lambda: groups_caught_up(system.stack), what="the duplicates consumed")
        after = await snapshot(c, order_id, skus)
    assert after == before
    assert before["status"] == "shipped" and before["ledger"][p["wax"]]


async def test_an_orders_saga_is_one_trace_across_services(system):
    t = tag()
    async with client(system) as c:
        fg = f"TRACE-{t}"
        await c.post("/api/items", json={"sku": fg, "name": fg, "kind": "finished", "base_unit": "pcs"})
        await c.post("/api/receipts", json={"sku": fg, "quantity": "5", "unit": "pcs"})
        order_id = await place(c, [(fg, "2", "pcs")])
        await wait_status(c, order_id, "ready_to_ship")
        await ship(c, order_id)
        await wait_status(c, order_id, "shipped")

    def saga_spans():
        mine = [s for s in spans(system) if s["attributes"].get("batchflow.correlation_id") == order_id]
        services = {s["service"] for s in mine}
        return mine if {"orders", "inventory", "shipping"} <= services else None

    mine = await poll(saga_spans, deadline=30, what="spans of the order in three services")
    assert len({s["trace_id"] for s in mine}) == 1, "every hop continues the order's one trace"
