"""Redelivery (same event id: the inbox; same fact under a new id: state guards) changes
nothing, and two instances racing for the same material never oversell it."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy.exc
from inventory_testkit import D, completed, in_days, order, recipe

from contracts import events as ev

pytestmark = pytest.mark.integration


async def snapshot(inv) -> tuple:
    return (
        await inv.outbox_count(),
        await inv.rows("SELECT lot_id, on_hand, reserved, allocated FROM lots ORDER BY lot_id"),
        await inv.scalar("SELECT count(*) FROM stock_movements"),
        await inv.scalar("SELECT count(*) FROM allocations"),
        await inv.scalar("SELECT count(*) FROM plans"),
    )


async def make_to_order_setup(inv, oil_kg: str = "100"):
    await inv.item("OIL", base_unit="kg")
    await inv.item("CREAM", kind="finished", base_unit="kg")  # recipes never create items
    await inv.deliver(recipe("CREAM", [("OIL", "1", "kg")], batch_min="10", batch_multiple="10"))
    await inv.receive("OIL", oil_kg, "kg", expiry_date=in_days(90))


async def test_duplicate_order_placed_changes_nothing(inv):
    await make_to_order_setup(inv)
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await inv.receive("SOAP", "3", "pcs")
    placed = order("o1", ("SOAP", "3", "pcs"), ("CREAM", "20", "kg"))
    event_id = uuid.uuid4()
    first = await inv.deliver(placed, event_id=event_id)
    assert [type(e) for e in first] == [ev.MaterialsReserved, ev.OrderAllocated]
    before = await snapshot(inv)

    assert await inv.deliver(placed, event_id=event_id) == []  # the inbox: same event id
    assert await inv.deliver(placed) == []  # the same order under a new event id
    assert await snapshot(inv) == before


async def test_duplicate_batch_completed_changes_nothing(inv):
    await make_to_order_setup(inv)
    (reserved,) = await inv.deliver(order("o1", ("CREAM", "20", "kg")))
    done = completed(reserved, "B1", "20")
    event_id = uuid.uuid4()
    assert len(await inv.deliver(done, event_id=event_id)) == 1
    before = await snapshot(inv)

    assert await inv.deliver(done, event_id=event_id) == []
    assert await inv.deliver(done) == []
    assert await snapshot(inv) == before
    assert (await inv.stock("CREAM"))["on_hand"] == D(20) and (await inv.stock("OIL"))["on_hand"] == D(80)
    assert await inv.ledger_matches_on_hand()


async def test_an_older_recipe_version_does_not_replace_a_newer_one(inv):
    await inv.deliver(recipe("CREAM", [("OIL", "1", "kg")], version=2, lead_time_days=9))
    await inv.deliver(recipe("CREAM", [("OIL", "5", "kg")], version=1, lead_time_days=1))
    assert await inv.scalar("SELECT recipe_version FROM recipes WHERE sku = 'CREAM'") == 2
    assert await inv.scalar("SELECT lead_time_days FROM recipes WHERE sku = 'CREAM'") == 9
    await inv.deliver(recipe("CREAM", [("OIL", "2", "kg")], version=3))
    assert await inv.scalar("SELECT recipe_version FROM recipes WHERE sku = 'CREAM'") == 3


@pytest.mark.parametrize("round_", range(3))
async def test_two_instances_racing_for_material_enough_for_one(inv, twin, round_):
    await make_to_order_setup(inv, oil_kg="60")

    await asyncio.gather(
        inv.deliver(order(f"a{round_}", ("CREAM", "60", "kg"))),
        twin.deliver(order(f"b{round_}", ("CREAM", "60", "kg"))),
    )

    events = await inv.emitted()
    reserved = [e for e in events if isinstance(e, ev.MaterialsReserved)]
    short = [e for e in events if isinstance(e, ev.MaterialsShort)]
    assert len(reserved) == 1 and len(short) == 1 and reserved[0].order_id != short[0].order_id
    assert [(s.material_sku, s.available, s.missing) for s in short[0].shortages] == [("OIL", D(0), D(60))]
    oil = await inv.stock("OIL")
    assert (oil["on_hand"], oil["reserved"], oil["available"]) == (D(60), D(60), D(0))


async def test_two_instances_racing_for_finished_stock_enough_for_one(inv, twin):
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await inv.receive("SOAP", "4", "pcs", lot_no="S1", expiry_date=in_days(5))
    await inv.receive("SOAP", "6", "pcs", lot_no="S2", expiry_date=in_days(9))

    await asyncio.gather(inv.deliver(order("a", ("SOAP", "10", "pcs"))), twin.deliver(order("b", ("SOAP", "10", "pcs"))))

    allocated = [e for e in await inv.emitted() if isinstance(e, ev.OrderAllocated)]
    assert len(allocated) == 1 and allocated[0].fully_allocated
    assert (await inv.stock("SOAP"))["allocated"] == D(10)
    loser = "b" if allocated[0].order_id == "a" else "a"
    assert D((await inv.get(f"/orders/{loser}/allocations"))["lines"][0]["outstanding"]) == D(10)


async def test_the_database_refuses_setting_aside_more_than_is_on_hand(inv):
    await inv.item("OIL", base_unit="kg")
    lot = await inv.receive("OIL", "5", "kg")
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="lot_set_aside_within_on_hand"):
        await inv.scalar("UPDATE lots SET reserved = 3, allocated = 3 WHERE lot_id = :id RETURNING 1", id=lot["lot_id"])
    with pytest.raises(sqlalchemy.exc.IntegrityError, match="lot_on_hand_not_negative"):
        await inv.scalar("UPDATE lots SET on_hand = -1 WHERE lot_id = :id RETURNING 1", id=lot["lot_id"])
