"""After a cancellation: saga events still arriving leave a trace but the order stays
cancelled; the other services' undo steps each appear on the timeline."""

from __future__ import annotations

from datetime import date

import pytest

from orders_testkit import (
    allocated, batch_cancelled, completed, reserved, scheduled, short, started, stock_released, withdrawn,
)

pytestmark = pytest.mark.integration


async def test_saga_events_after_cancel_do_not_revive_the_order(orders):
    oid = (await orders.place())["order_id"]
    await orders.deliver(reserved(oid))
    assert (await orders.cancel(oid)).status_code == 200
    late = [
        short(oid),
        reserved(oid, line_no=2, plan_id="plan-2", qty="5", unit="kg", sku="CREAM-2"),
        scheduled([(oid, 1)], end=date(2026, 11, 27)),
        started([(oid, 1)]),
        completed([(oid, 1)]),
        allocated(oid, [(1, "10", "pcs")], outstanding=[(2, "5", "kg")]),
        allocated(oid, [(1, "10", "pcs"), (2, "5", "kg")]),
    ]
    for event in late:
        await orders.deliver(event)
        view = await orders.get(oid)
        assert view["status"] == "cancelled", event.event_type
        assert view["promised_date"] is None and view["shortages"] == []
        assert (view["timeline"][-1]["event_type"], view["timeline"][-1]["status"]) == (event.event_type, "cancelled")
    assert len(view["timeline"]) == 3 + len(late)
    assert (await orders.api.get("/orders", params={"status": "cancelled"})).json()["total"] == 1


async def test_every_undo_step_appears_on_the_timeline(orders):
    oid = (await orders.place())["order_id"]
    await orders.deliver(reserved(oid, line_no=1, plan_id="plan-1"))
    await orders.deliver(scheduled([(oid, 1)], end=date(2026, 11, 27)))
    await orders.deliver(allocated(oid, [(2, "5", "kg")], outstanding=[(1, "10", "pcs")]))
    assert (await orders.cancel(oid, reason="customer request")).status_code == 200

    await orders.deliver(stock_released(oid, allocations=[(2, "5", "kg")], promises=[("plan-1", 1, "10")]))
    await orders.deliver(withdrawn(oid))
    await orders.deliver(batch_cancelled([(oid, 1)]))
    view = await orders.get(oid)
    assert view["status"] == "cancelled"
    undo = [(e["event_type"], e["producer"], e["status"], e["detail"]) for e in view["timeline"][-3:]]
    assert undo == [
        ("StockReleased", "inventory", "cancelled",
         "released 5 kg of lot L2 (line 2); released the promise of 10 pcs from batch B261125-0001 (line 1): "
         "order cancelled"),
        ("ShipmentWithdrawn", "shipping", "cancelled", "shipment withdrawn (shp-1): order cancelled"),
        ("BatchCancelled", "production", "cancelled",
         "batch B261125-0001 (SOAP-1) cancelled (covers line 1): no order needs it any more"),
    ]
    [plan] = view["lines"][0]["plans"]
    assert plan["cancelled_at"] is not None


async def test_batch_cancelled_reaches_each_covered_order_once(orders):
    a = (await orders.place())["order_id"]
    b = (await orders.place())["order_id"]
    await orders.deliver(scheduled([(a, 1), (b, 1)], end=date(2026, 11, 27)))
    for oid in (a, b):
        assert (await orders.cancel(oid)).status_code == 200
    await orders.deliver(batch_cancelled([(a, 1), (b, 1)]))
    await orders.deliver(batch_cancelled([(a, 1), (b, 1)]))  # the same cancellation re-emitted
    await orders.deliver(scheduled([(a, 1), (b, 1)], end=date(2026, 11, 30)))  # an old schedule, late
    for oid in (a, b):
        view = await orders.get(oid)
        types = [e["event_type"] for e in view["timeline"]]
        assert types == ["OrderPlaced", "BatchScheduled", "OrderCancelled", "BatchCancelled", "BatchScheduled"]
        assert view["status"] == "cancelled"
        assert view["lines"][0]["plans"][0]["cancelled_at"] is not None  # sticky


async def test_cancelled_batch_no_longer_makes_a_live_line(orders):
    """Production may cancel a batch an order still counted on: the plan stops covering the
    line (its shortage shows again) and stops dating the order (the promise stays)."""
    oid = (await orders.place(lines=[{"sku": "SOAP-1", "quantity": "10", "unit": "pcs"}]))["order_id"]
    await orders.deliver(short(oid, line_no=1, sku="SOAP-1"))
    await orders.deliver(reserved(oid, line_no=1))
    promised = (await orders.get(oid))["promised_date"]  # reservation day + lead + handling
    await orders.deliver(scheduled([(oid, 1)], end=date(2026, 11, 27)))
    assert (await orders.get(oid))["expected_date"] == "2026-11-28"
    await orders.deliver(batch_cancelled([(oid, 1)]))
    view = await orders.get(oid)
    # The shortage it waits for again has no date (no lead time known): undatable now.
    assert view["status"] == "awaiting_materials" and view["expected_date"] is None
    assert promised is not None and view["promised_date"] == promised
    assert [e for e in view["timeline"] if e["event_type"] != "PromiseChanged"][-1]["detail"].startswith("batch B261125-0001 (SOAP-1) cancelled")
