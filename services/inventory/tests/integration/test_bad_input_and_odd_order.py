"""Events that can never be handled are rejected (dead-lettered by the kit); events about
things inventory has not seen are applied as far as they make sense."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from inventory_testkit import D, in_days, order, recipe, shipped

from contracts import events as ev
from contracts.events.base import Customer, OrderLine
from eventkit import DomainRejection

pytestmark = pytest.mark.integration


async def test_an_order_repeating_a_line_number_is_rejected(inv):
    placed = ev.OrderPlaced(
        order_id="o1", order_no="SO-1", customer=Customer(name="A", email="a@example.com"),
        lines=[OrderLine(line_no=1, sku="X", quantity=D(1), unit="pcs")] * 2, placed_at=datetime.now(timezone.utc),
    )
    with pytest.raises(DomainRejection, match="repeats a line number"):
        await inv.deliver(placed)
    assert await inv.scalar("SELECT count(*) FROM order_demands") == 0


async def test_a_batch_output_in_a_unit_the_product_cannot_have_is_rejected(inv):
    await inv.item("CREAM", kind="finished", base_unit="kg")
    done = ev.BatchCompleted(
        batch_id=str(uuid.uuid4()), batch_no="B9", sku="CREAM", planned_quantity=D(10), output_quantity=D(10),
        waste_quantity=D(0), unit="pcs", completed_at=datetime.now(timezone.utc),
    )
    with pytest.raises(DomainRejection, match="kept in kg"):
        await inv.deliver(done)
    assert await inv.scalar("SELECT count(*) FROM completed_batches") == 0


async def test_a_batch_inventory_never_planned_still_puts_its_output_in_stock(inv):
    await inv.deliver(recipe("CREAM", [("OIL", "1", "kg")], shelf_life_days=30))
    done = ev.BatchCompleted(
        batch_id=str(uuid.uuid4()), batch_no="B-STOCK", sku="CREAM", planned_quantity=D(10), output_quantity=D(9),
        waste_quantity=D(1), unit="kg", completed_at=datetime.now(timezone.utc),
    )
    # Stock is a physical fact: the item is recorded (a recipe alone never creates one) and
    # announced to the catalog replicas.
    assert await inv.scalar("SELECT count(*) FROM items") == 0
    assert [e.event_type for e in await inv.deliver(done)] == ["ItemDefined"]
    (lot,) = await inv.get("/lots", sku="CREAM")
    assert (lot["lot_no"], D(lot["available"]), lot["expiry_date"]) == ("B-STOCK", D(9), in_days(30))
    # ... and that stock serves the next order.
    (allocated,) = await inv.deliver(order("o1", ("CREAM", "9", "kg")))
    assert allocated.fully_allocated and allocated.allocations[0].lot_no == "B-STOCK"


async def test_a_batch_whose_number_a_received_lot_already_has_gets_a_lot_number_of_its_own(inv):
    await inv.item("CREAM", kind="finished", base_unit="kg")
    await inv.receive("CREAM", "3", "kg", lot_no="B-0007")  # typed in a receipt before the batch was done
    batch_id = str(uuid.uuid4())
    done = ev.BatchCompleted(
        batch_id=batch_id, batch_no="B-0007", sku="CREAM", planned_quantity=D(10), output_quantity=D(8),
        waste_quantity=D(2), unit="kg", completed_at=datetime.now(timezone.utc),
    )
    await inv.deliver(done)
    lots = {lot["lot_no"]: lot for lot in await inv.get("/lots", sku="CREAM")}
    assert sorted(lots) == ["B-0007", f"B-0007-{batch_id[:8]}"]
    made = lots[f"B-0007-{batch_id[:8]}"]
    assert (made["source"], made["batch_id"], D(made["on_hand"])) == ("production", batch_id, D(8))
    assert D(lots["B-0007"]["on_hand"]) == D(3)
    # The completion links the lot it made, and the ledger holds its output.
    assert await inv.scalar("SELECT finished_lot_id FROM completed_batches WHERE batch_id = :b", b=batch_id) == made["lot_id"]
    assert await inv.ledger_matches_on_hand()
    # Delivered again, nothing changes.
    await inv.deliver(done)
    assert len(await inv.get("/lots", sku="CREAM")) == 2 and await inv.ledger_matches_on_hand()


async def test_a_shipment_of_unknown_allocations_changes_nothing(inv):
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await inv.receive("SOAP", "5", "pcs", lot_no="S1")
    (allocated,) = await inv.deliver(order("o1", ("SOAP", "5", "pcs")))
    stranger = ev.OrderAllocated(
        order_id="o1", fully_allocated=True,
        allocations=[a.model_copy(update={"allocation_id": "nope"}) for a in allocated.allocations],
    )
    await inv.deliver(shipped(stranger))
    assert (await inv.stock("SOAP"))["allocated"] == D(5) and (await inv.stock("SOAP"))["on_hand"] == D(5)
