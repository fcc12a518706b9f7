"""The forward trace over a history several batches deep, read set-wise: a lot reached along
two paths appears under each, the walk stops MAX_DEPTH levels down, the orders at the end
are named. The history is written with SQL (what completions leave behind: lots made by
batches, consumption movements, allocations) because building six levels of production
through events would say nothing more about the trace."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from inventory.adapters.trace import MAX_DEPTH
from inventory_testkit import D

pytestmark = pytest.mark.integration


async def history(inv, lots: list[tuple[str, str, str | None]], used: list[tuple[str, str, str]]) -> None:
    """lots: (lot_id, sku, batch that made it); used: (lot_id, batch_id, quantity consumed)."""
    async with inv.rt.uow.sessions() as s:
        for batch_id in sorted({b for _, _, b in lots if b} | {b for _, b, _ in used}):
            await s.execute(text(
                "INSERT INTO completed_batches (batch_id, batch_no, sku, planned_quantity, output_quantity, "
                "waste_quantity, unit, completed_at) VALUES (:b, 'NO-' || :b, 'CREAM', 10, 10, 0, 'kg', now())"), {"b": batch_id})
        for lot_id, sku, batch_id in lots:
            await s.execute(text(
                "INSERT INTO lots (lot_id, sku, lot_no, source, batch_id, received_date, on_hand) "
                "VALUES (:l, :s, 'L-' || :l, CASE WHEN CAST(:b AS text) IS NULL THEN 'receipt' ELSE 'production' END, :b, CURRENT_DATE, 10)"),
                {"l": lot_id, "s": sku, "b": batch_id})
        for lot_id, batch_id, quantity in used:
            await s.execute(text(
                "INSERT INTO stock_movements (lot_id, sku, kind, quantity, batch_id) "
                "SELECT lot_id, sku, 'consumption', -CAST(:q AS numeric), :b FROM lots WHERE lot_id = :l"),
                {"l": lot_id, "b": batch_id, "q": quantity})
        await s.commit()


async def test_a_lot_reached_along_two_paths_appears_under_each_with_its_customers(inv):
    await inv.item("OIL")
    await inv.item("BASE")
    await inv.item("CREAM", kind="finished")
    # oil-1 went into two batches of base; both bases went into one cream batch.
    await history(inv, [("oil-1", "OIL", None), ("base-1", "BASE", "b1"), ("base-2", "BASE", "b2"),
                        ("cream-1", "CREAM", "b3"), ("oil-2", "OIL", None)],
                  [("oil-1", "b1", "5"), ("oil-1", "b2", "3"), ("base-1", "b3", "2"), ("base-2", "b3", "1"),
                   ("oil-2", "b1", "4")])
    async with inv.rt.uow.sessions() as s:
        await s.execute(text("INSERT INTO order_demands (order_id, order_no, placed_at, customer) "
                             "VALUES ('o1', 'SO-1', now(), 'Ada Lovelace')"))
        await s.execute(text("INSERT INTO demand_lines (order_id, line_no, sku, quantity, unit, ordered_quantity, "
                             "ordered_unit) VALUES ('o1', 1, 'CREAM', 3, 'kg', 3, 'kg')"))
        await s.execute(text("INSERT INTO allocations (allocation_id, order_id, line_no, lot_id, sku, quantity, "
                             "shipped, status, shipment_id) VALUES ('a1', 'o1', 1, 'cream-1', 'CREAM', 3, 3, "
                             "'shipped', 'SH-1')"))
        await s.commit()

    trace = await inv.get("/lots/L-oil-1/trace")  # by the printed number

    assert trace["lot"]["lot_id"] == "oil-1" and trace["orders"] == []
    assert [(b["batch_id"], b["batch_no"], D(b["consumed"])) for b in trace["consumed_by"]] == [
        ("b1", "NO-b1", D(5)), ("b2", "NO-b2", D(3))]
    bases = [b["finished_lots"] for b in trace["consumed_by"]]
    assert [[f["lot"]["lot_id"] for f in made] for made in bases] == [["base-1"], ["base-2"]]
    for (base,), consumed in zip(bases, (D(2), D(1))):
        (cream_batch,) = base["consumed_by"]
        assert (cream_batch["batch_id"], D(cream_batch["consumed"])) == ("b3", consumed)
        (cream,) = cream_batch["finished_lots"]
        assert cream["lot"]["lot_no"] == "L-cream-1" and cream["consumed_by"] == []
        assert [(o["order_id"], o["customer"], o["status"], o["shipment_id"]) for o in cream["orders"]] == [
            ("o1", "Ada Lovelace", "shipped", "SH-1")]


async def test_the_walk_stops_max_depth_batches_down(inv):
    await inv.item("OIL")
    chain = [f"c{k}" for k in range(MAX_DEPTH + 3)]
    await history(inv, [(lot, "OIL", f"m{k}" if k else None) for k, lot in enumerate(chain)],
                  [(lot, f"m{k + 1}", "1") for k, lot in enumerate(chain[:-1])])
    node, depth = await inv.get("/lots/c0/trace"), 0
    while node["consumed_by"] and node["consumed_by"][0]["finished_lots"]:
        (batch,) = node["consumed_by"]
        (node,) = batch["finished_lots"]
        depth += 1
    # The last lot shown still names the batch that consumed it, without walking into it.
    assert depth == MAX_DEPTH and node["lot"]["lot_id"] == f"c{MAX_DEPTH}"
    assert [b["batch_id"] for b in node["consumed_by"]] == [f"m{MAX_DEPTH + 1}"]
