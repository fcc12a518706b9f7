"""Timeline details read like what happened."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from contracts import events as ev
from contracts.events.base import LineQuantity, LotQuantity
from contracts.events.inventory import Allocation, LineOutstanding, PromiseReleased
from contracts.events.shipping import ShippedLine
from orders.domain.numbers import fingerprint, order_no
from orders.domain.wording import describe

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 25, tzinfo=timezone.utc)


def test_order_numbers():
    assert order_no(123) == "SO-000123"
    assert order_no(1_234_567) == "SO-1234567"


def test_fingerprint_compares_decimals_by_value():
    assert fingerprint({"q": Decimal("10")}) == fingerprint({"q": Decimal("10.000")})
    assert fingerprint({"q": Decimal("10")}) != fingerprint({"q": Decimal("11")})


def test_reserved_scheduled_allocated_shipped():
    reserved = ev.MaterialsReserved(
        order_id="o1", line_no=1, plan_id="p1", sku="CREAM", quantity_promised=Decimal("10"), batch_quantity=Decimal(50),
        unit="kg", recipe_version=1, lead_time_days=3,
        reservations=[LotQuantity(sku="OIL", lot_id="l", lot_no="OIL-7", quantity=Decimal("12.000"), unit="kg")],
    )
    assert describe(reserved, "o1").startswith("reserved 12 kg of OIL (lot OIL-7) for batch plan p1")
    scheduled = ev.BatchScheduled(
        batch_id="p1", batch_no="B261125-0001", sku="CREAM", planned_quantity=Decimal(50), unit="kg",
        covers=[LineQuantity(order_id="o1", line_no=1, quantity=Decimal(10))],
        planned_start=date(2026, 11, 25), planned_end=date(2026, 11, 27),
    )
    text = describe(scheduled, "o1")
    assert "batch B261125-0001 scheduled" in text and "ends 2026-11-27" in text and text.endswith("(covers line 1)")
    # Another order joins the batch: production schedules it again, and the entry says why it is there.
    joined = scheduled.model_copy(update={"covers": [*scheduled.covers, LineQuantity(order_id="o2", line_no=1, quantity=Decimal(5)),
                                                     LineQuantity(order_id="o2", line_no=2, quantity=Decimal(5))]})
    assert describe(joined, "o1").endswith("(covers line 1; shared with 1 other order)")
    assert describe(joined, "o2").endswith("(covers line 1, line 2; shared with 1 other order)")
    allocated = ev.OrderAllocated(
        order_id="o1", fully_allocated=False,
        allocations=[Allocation(allocation_id="a", line_no=1, sku="SOAP", lot_id="x", lot_no="L1",
                                quantity=Decimal(10), unit="pcs")],
        outstanding=[LineOutstanding(line_no=2, sku="CREAM", quantity=Decimal(5), unit="kg")],
    )
    assert describe(allocated, "o1") == "allocated 10 pcs from lot L1; outstanding: line 2 5 kg CREAM"
    shipped = ev.Shipped(
        order_id="o1", shipment_id="s", carrier="DHL", tracking_no="123", complete=False, shipped_at=NOW,
        lines=[ShippedLine(line_no=1, allocation_id="a", sku="SOAP", lot_id="x", lot_no="L1",
                           quantity=Decimal(10), unit="pcs")],
    )
    assert describe(shipped, "o1") == "shipped via DHL 123 (partial shipment)"


def test_same_shipment_is_one_fact_whatever_its_timestamp():
    from orders.domain.numbers import fact_hash

    a = {"shipment_id": "s1", "shipped_at": "2026-11-25T10:00:00Z"}
    b = {"shipment_id": "s1", "shipped_at": "2026-11-25T10:05:00Z"}
    assert fact_hash("Shipped", a) == fact_hash("Shipped", b)
    assert fact_hash("Shipped", a) != fact_hash("Shipped", {"shipment_id": "s2"})
    # cumulative allocations are compared whole
    assert fact_hash("OrderAllocated", {"n": 1}) != fact_hash("OrderAllocated", {"n": 2})


def test_backorder_and_cancellation_wording():
    alloc = Allocation(allocation_id="a1", line_no=1, sku="SOAP-1", lot_id="l1", lot_no="L1", quantity=Decimal(6), unit="pcs")
    backorder = ev.OrderAllocated(
        order_id="o1", allocations=[alloc], fully_allocated=False, backordered=True,
        outstanding=[LineOutstanding(line_no=1, sku="SOAP-1", quantity=Decimal(4), unit="pcs"),
                     LineOutstanding(line_no=2, sku="SOAP-2", quantity=Decimal(1), unit="pcs")],
    )
    assert describe(backorder, "o1") == (
        "allocated 6 pcs from lot L1; partially allocated; 5 pcs backordered (line 1 4 pcs SOAP-1, line 2 1 pcs SOAP-2)")
    released = ev.StockReleased(order_id="o1", allocations=[alloc],
                                promises=[PromiseReleased(plan_id="p1", line_no=2, quantity=Decimal("2.5"))])
    assert describe(released, "o1", plan_units={"p1": "kg"}) == (
        "released 6 pcs of lot L1 (line 1); released the promise of 2.5 kg from batch plan p1 (line 2)")
    assert describe(released, "o1").endswith("the promise of 2.5 from batch plan p1 (line 2)")  # unit unknown
    # Once production numbered the plan's batch, the promise is named by that number.
    assert describe(released, "o1", plan_units={"p1": "kg"}, plan_batches={"p1": "B261125-0003"}).endswith(
        "the promise of 2.5 kg from batch B261125-0003 (line 2)")
    assert describe(ev.StockReleased(order_id="o1"), "o1") == "nothing was set aside; nothing released"
    assert describe(ev.OrderCancelled(order_id="o1", cancelled_at=NOW), "o1") == "order cancelled"
    cancelled_batch = ev.BatchCancelled(batch_id="b", batch_no="B1", sku="SOAP-1", cancelled_at=NOW,
                                        covers=[LineQuantity(order_id="o1", line_no=1, quantity=Decimal(6))])
    assert describe(cancelled_batch, "o1") == "batch B1 (SOAP-1) cancelled (covers line 1)"
    ship = ev.Shipped(order_id="o1", shipment_id="s", carrier="UPS", tracking_no="9", shipped_at=NOW, lines=[
        ShippedLine(line_no=1, allocation_id="a1", sku="SOAP-1", lot_id="l1", lot_no="L1", quantity=Decimal(6), unit="pcs")])
    assert describe(ship, "o1", cancelled=True) == "shipped via UPS 9; shipped although cancellation was requested"
    assert describe(ship, "o1") == "shipped via UPS 9"


def test_a_repeat_is_compared_with_the_latest_statement_of_its_kind():
    from orders.domain.numbers import fact_kind, happens_once

    # A line's shortages and reservations are one history per line; batches' schedules per batch.
    assert fact_kind("MaterialsShort", {"line_no": 2}) == fact_kind("MaterialsReserved", {"line_no": 2})
    assert fact_kind("MaterialsShort", {"line_no": 1}) != fact_kind("MaterialsShort", {"line_no": 2})
    assert fact_kind("BatchScheduled", {"batch_id": "b1"}) != fact_kind("BatchScheduled", {"batch_id": "b2"})
    assert fact_kind("OrderAllocated", {"n": 1}) == "OrderAllocated"
    # A shipment happens once, whenever it is re-emitted.
    assert happens_once("Shipped") and not happens_once("MaterialsShort")
