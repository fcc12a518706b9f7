"""Each consumed event moves the order along and leaves a timeline entry saying what
happened, by whom, with the status after it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from orders_testkit import allocated, completed, delivered, reserved, scheduled, short, shipped, started, today

pytestmark = pytest.mark.integration


async def test_make_to_order_from_placement_to_delivery(orders):
    order = await orders.place()
    oid = order["order_id"]

    async def step(event, status, detail):
        env = await orders.deliver(event)
        view = await orders.get(oid)
        assert view["status"] == status
        last = [e for e in view["timeline"] if e["event_type"] != "PromiseChanged"][-1]
        assert (last["event_type"], last["event_id"], last["producer"], last["status"]) == (
            env.event_type, str(env.event_id), env.producer, status)
        assert detail in last["detail"], last["detail"]
        return view

    view = await step(reserved(oid, line_no=1, lead=3), "materials_reserved", "reserved 12 kg of OIL")
    # Line 2 has no news yet and the promise covers every line: no date until it has.
    assert view["promised_date"] is None and view["expected_date"] is None
    assert view["lines"][0]["state"] == "materials_reserved"

    view = await step(short(oid, line_no=2), "awaiting_materials", "line 2 (5 kg CREAM-2) awaiting materials")
    assert view["shortages"] == [{"line_no": 2, "sku": "CREAM-2", "material_sku": "WAX", "required": "3",
                                  "available": "1", "missing": "2", "unit": "kg", "reason": None}]

    view = await step(reserved(oid, line_no=2, plan_id="plan-2", qty="5", unit="kg", sku="CREAM-2"),
                      "materials_reserved", "batch plan plan-2")
    assert view["shortages"] == []
    first = str(today() + timedelta(days=3 + 1))  # both lines dated: the promise, kept from now on
    assert (view["promised_date"], view["expected_date"]) == (first, first)

    await step(scheduled([(oid, 1)], end=date(2026, 11, 27)), "materials_reserved",
               "batch B261125-0001 scheduled")
    view = await step(scheduled([(oid, 2)], batch_id="plan-2", batch_no="B261126-0002", end=date(2026, 12, 3)),
                      "materials_reserved", "ends 2026-12-03")
    # the latest batch end + 1 handling day; the promise stays as given
    assert (view["promised_date"], view["expected_date"]) == (first, "2026-12-04")

    await step(started([(oid, 1)]), "in_production", "batch B261125-0001 (SOAP-1) started")
    await step(completed([(oid, 1)]), "in_production", "98 pcs SOAP-1 made, 2 pcs waste")  # timeline only
    await step(allocated(oid, [(1, "10", "pcs")], outstanding=[(2, "5", "kg")]), "allocated",
               "allocated 10 pcs from lot L1")
    view = await step(allocated(oid, [(1, "10", "pcs"), (2, "5", "kg")]), "ready_to_ship", "fully allocated")
    assert (view["promised_date"], view["expected_date"]) == (first, str(today() + timedelta(days=1)))
    assert [ln["state"] for ln in view["lines"]] == ["allocated", "allocated"]

    await step(shipped(oid, "shp-1", complete=False), "partially_shipped", "shipped via DHL 123 (partial shipment)")
    await step(delivered(oid, "shp-1"), "partially_shipped", "delivered")  # only part of it
    await step(shipped(oid, "shp-2", complete=True, tracking="456"), "shipped", "shipped via DHL 456")
    view = await step(delivered(oid, "shp-2"), "delivered", "delivered (shipment shp-2)")

    assert len([e for e in view["timeline"] if e["event_type"] != "PromiseChanged"]) == 14
    ats = [e["at"] for e in view["timeline"]]
    assert ats == sorted(ats)
    assert {s["shipment_id"]: s["delivered_at"] is not None for s in view["shipments"]} == {"shp-1": True, "shp-2": True}


async def test_one_line_awaiting_materials_holds_the_order_until_covered(orders):
    oid = (await orders.place())["order_id"]
    await orders.deliver(short(oid, line_no=2))
    await orders.deliver(reserved(oid, line_no=1))
    await orders.deliver(started([(oid, 1)]))
    view = await orders.get(oid)
    assert view["status"] == "awaiting_materials"
    assert [ln["state"] for ln in view["lines"]] == ["in_production", "awaiting_materials"]
    assert [s["material_sku"] for s in view["shortages"]] == ["WAX"]

    await orders.deliver(reserved(oid, line_no=2, plan_id="plan-2", qty="5", unit="kg", sku="CREAM-2"))
    assert (await orders.get(oid))["status"] == "in_production"


async def test_from_stock_order_is_ready_to_ship_and_promised_after_handling(orders):
    oid = (await orders.place())["order_id"]
    await orders.deliver(allocated(oid, [(1, "10", "pcs"), (2, "5", "kg")]))
    view = await orders.get(oid)
    assert view["status"] == "ready_to_ship"
    assert view["promised_date"] == str(today() + timedelta(days=1))


ONE_LINE = [{"sku": "SOAP-1", "quantity": "10", "unit": "pcs"}]


async def test_batch_events_update_every_covered_order(orders):
    a = (await orders.place(lines=ONE_LINE))["order_id"]
    b = (await orders.place(lines=ONE_LINE))["order_id"]
    await orders.deliver(scheduled([(a, 1), (b, 1)], end=date(2026, 11, 27)))
    await orders.deliver(started([(a, 1), (b, 1)]))
    for oid in (a, b):
        view = await orders.get(oid)
        assert view["status"] == "in_production" and view["promised_date"] == "2026-11-28"
        assert [e["event_type"] for e in view["timeline"]] == [
            "OrderPlaced", "BatchScheduled", "PromiseChanged", "BatchStarted"]


async def test_rescheduled_batch_moves_the_expected_date_and_keeps_the_promise(orders):
    oid = (await orders.place(lines=ONE_LINE))["order_id"]
    await orders.deliver(scheduled([(oid, 1)], end=date(2026, 11, 27)))
    await orders.deliver(scheduled([(oid, 1), ("someone-else", 1)], end=date(2026, 11, 30)))
    view = await orders.get(oid)
    assert (view["promised_date"], view["expected_date"]) == ("2026-11-28", "2026-12-01")
    moved = [e["detail"] for e in view["timeline"] if e["event_type"] == "PromiseChanged"]
    assert moved[-1] == "expected date moved from 2026-11-28 to 2026-12-01: batch B261125-0001 scheduled to end 2026-11-30"
    # The date's entry names its cause in a few words; the event itself, for the topic's readers, carries all of it.
    assert moved[0] == "dated: expected 2026-11-28 (batch B261125-0001 scheduled to end 2026-11-27)"
    changes = [e.data for _, _, e in await orders.outbox(".promise-changed.v1")]
    assert [(c["previous_expected_date"], c["expected_date"], c["promised_date"]) for c in changes] == [
        (None, "2026-11-28", "2026-11-28"), ("2026-11-28", "2026-12-01", "2026-11-28")]
    assert changes[-1]["reason"].startswith("batch B261125-0001 scheduled, 100 pcs SOAP-1, starts 2026-11-30")
