"""The HTTP API: items and receipts (with unit conversion and clear refusals), stock,
lots and the ledger."""

from __future__ import annotations

import pytest
from inventory_testkit import D, in_days, today

pytestmark = pytest.mark.integration


async def test_items_are_registered_once_and_listed(inv):
    created = await inv.item("OIL", base_unit="kg", supplier_lead_time_days=5)
    assert created["base_unit"] == "kg" and created["supplier_lead_time_days"] == 5
    again = await inv.api.post("/items", json={"sku": "OIL", "name": "Oil", "kind": "raw", "base_unit": "kg"})
    assert again.status_code == 409 and "exists" in again.json()["detail"]
    assert [i["sku"] for i in await inv.get("/items")] == ["OIL"]
    assert (await inv.get("/items/OIL"))["name"] == "Oil"
    assert (await inv.api.get("/items/NOPE")).status_code == 404
    bad = await inv.api.post("/items", json={"sku": "X", "name": "X", "kind": "raw", "base_unit": "lbs"})
    assert bad.status_code == 422


async def test_receipt_converts_to_the_base_unit_and_writes_the_ledger(inv):
    await inv.item("OIL", base_unit="kg", shelf_life_days=30)
    lot = await inv.receive("OIL", "2500", "g", supplier_lot_no="SUP-9")
    assert D(lot["on_hand"]) == D("2.5") and lot["unit"] == "kg" and lot["supplier_lot_no"] == "SUP-9"
    assert lot["received_date"] == today().isoformat() and lot["expiry_date"] == in_days(30)  # from shelf life
    (movement,) = await inv.get("/ledger", lot_id=lot["lot_id"])
    assert (movement["kind"], D(movement["quantity"]), movement["lot_no"]) == ("receipt", D("2.5"), lot["lot_no"])
    assert (await inv.get(f"/lots/{lot['lot_id']}"))["lot_no"] == lot["lot_no"]
    assert await inv.ledger_matches_on_hand()


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"sku": "OIL", "quantity": "1", "unit": "L"}, 422, "kept in kg"),
        ({"sku": "GHOST", "quantity": "1", "unit": "kg"}, 422, "unknown item"),
        ({"sku": "OIL", "quantity": "-1", "unit": "kg"}, 422, ""),
        ({"sku": "OIL", "quantity": "1", "unit": "kg", "expiry_date": "2000-01-01"}, 422, "before the receipt"),
        ({"sku": "OIL", "quantity": "1", "unit": "kg", "lot_no": "DUP"}, 409, "exists"),
    ],
)
async def test_bad_receipts_are_refused_with_a_reason(inv, body, status, words):
    await inv.item("OIL", base_unit="kg")
    await inv.receive("OIL", "1", "kg", lot_no="DUP")
    resp = await inv.api.post("/receipts", json=body)
    assert resp.status_code == status, resp.text
    assert words in str(resp.json()["detail"])
    assert (await inv.stock("OIL"))["on_hand"] == D(1)


async def test_stock_lots_and_unknown_things(inv):
    await inv.item("OIL", base_unit="kg")
    await inv.receive("OIL", "4", "kg", lot_no="A", expiry_date=in_days(3))
    await inv.receive("OIL", "6", "kg", lot_no="OLD", received_date=in_days(-30), expiry_date=in_days(-2))
    stock = await inv.stock("OIL")
    assert (stock["on_hand"], stock["available"], stock["expired"], stock["base_unit"]) == (D(10), D(4), D(6), "kg")
    lots = await inv.get("/lots", sku="OIL")
    assert [(lot["lot_no"], lot["expired"]) for lot in lots] == [("OLD", True), ("A", False)]
    assert (await inv.api.get("/lots/nope")).status_code == 404
    assert (await inv.api.get("/orders/nope/allocations")).status_code == 404
    assert await inv.get("/shortages") == [] and await inv.get("/plans") == []
    assert (await inv.api.get("/plans", params={"status": "bogus"})).status_code == 422
