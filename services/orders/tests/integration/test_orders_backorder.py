"""Backorders: a batch yields less than planned, what is allocated ships now, the rest waits
for a later batch and a second shipment completes the order."""

from __future__ import annotations

import pytest

from orders_testkit import allocated, completed, delivered, reserved, shipped, started

pytestmark = pytest.mark.integration

ONE_LINE = [{"sku": "SOAP-1", "quantity": "10", "unit": "pcs"}]


async def test_backorder_ships_in_two_parts(orders):
    oid = (await orders.place(lines=ONE_LINE))["order_id"]
    await orders.deliver(reserved(oid))
    await orders.deliver(started([(oid, 1)]))
    await orders.deliver(completed([(oid, 1)]))

    await orders.deliver(allocated(oid, [(1, "6", "pcs")], outstanding=[(1, "4", "pcs")], backordered=True))
    view = await orders.get(oid)
    assert view["status"] == "allocated"
    assert "partially allocated; 4 pcs backordered" in view["timeline"][-1]["detail"]
    line = view["lines"][0]
    assert (line["allocated_quantity"], line["fully_allocated"]) == ("6.000000", False)

    await orders.deliver(shipped(oid, "shp-1", complete=False))
    assert (await orders.get(oid))["status"] == "partially_shipped"
    await orders.deliver(delivered(oid, "shp-1"))
    assert (await orders.get(oid))["status"] == "partially_shipped"  # only part of it arrived

    # A later batch: inventory lists only the open allocation (4 pcs); nothing outstanding.
    await orders.deliver(allocated(oid, [(1, "4", "pcs")], lot="b"))
    view = await orders.get(oid)
    assert view["status"] == "partially_shipped"  # goods already left: the rank never goes back
    line = view["lines"][0]
    assert (line["allocated_quantity"], line["fully_allocated"], line["state"]) == ("10.000000", True, "allocated")

    await orders.deliver(shipped(oid, "shp-2", complete=True, tracking="456"))
    assert (await orders.get(oid))["status"] == "shipped"
    await orders.deliver(delivered(oid, "shp-2"))
    assert (await orders.get(oid))["status"] == "delivered"


async def test_backorder_completing_shipment_before_its_allocation_ends_shipped(orders):
    oid = (await orders.place(lines=ONE_LINE))["order_id"]
    await orders.deliver(allocated(oid, [(1, "6", "pcs")], outstanding=[(1, "4", "pcs")], backordered=True))
    await orders.deliver(shipped(oid, "shp-1", complete=False))
    await orders.deliver(shipped(oid, "shp-2", complete=True, tracking="456"))
    await orders.deliver(allocated(oid, [(1, "4", "pcs")], lot="b"))  # arrives last
    view = await orders.get(oid)
    assert view["status"] == "shipped"
    assert [s["complete"] for s in view["shipments"]] == [False, True]


async def test_partially_shipped_backorder_cannot_be_cancelled(orders):
    oid = (await orders.place(lines=ONE_LINE))["order_id"]
    await orders.deliver(allocated(oid, [(1, "6", "pcs")], outstanding=[(1, "4", "pcs")], backordered=True))
    await orders.deliver(shipped(oid, "shp-1", complete=False))
    resp = await orders.cancel(oid)
    assert resp.status_code == 409 and "was shipped on" in resp.json()["detail"]


async def test_partial_allocation_without_backorder_lists_what_is_outstanding(orders):
    oid = (await orders.place())["order_id"]
    await orders.deliver(allocated(oid, [(1, "10", "pcs")], outstanding=[(2, "5", "kg")]))
    view = await orders.get(oid)
    assert view["status"] == "allocated"
    assert view["timeline"][-1]["detail"] == "allocated 10 pcs from lot L1; outstanding: line 2 5 kg SKU-2"


async def test_an_allocation_of_thousands_of_lines_is_recorded_whole(orders):
    # More rows than one statement can carry parameters for: written row by row, all of them.
    lines = [{"sku": "SOAP-1", "quantity": "1", "unit": "pcs"} for _ in range(3000)]
    oid = (await orders.place(lines=lines))["order_id"]
    await orders.deliver(allocated(oid, [(n, "1", "pcs") for n in range(1, 3001)]))
    view = await orders.get(oid)
    assert view["status"] == "ready_to_ship"
    assert len(view["lines"]) == 3000
    assert all(line["fully_allocated"] and line["state"] == "allocated" for line in view["lines"])
