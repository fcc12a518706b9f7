"""At the door: unknown or unbought materials, units of another dimension, non-positive
quantities, suppliers without terms -> 422 with the reason, nothing created. The demand
picture: facts applied by when inventory raised them, whatever order they arrive in, and
every consumed event delivered twice changes nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest

from purchasing_testkit import allocated, cancelled, earlier, later, received, reserved, short

pytestmark = pytest.mark.integration


async def test_bad_input_is_refused_with_the_reason(purchasing):
    p = purchasing
    await p.material("SUGAR")
    await p.material("CREAM", kind="finished", base_unit="pcs")
    await p.material("LABEL", base_unit="pcs")
    await p.material("OLD", active=False)
    sid = await p.supplier("Sweet", SUGAR=dict(lead_time_days=2, pack_size="25"))

    def po(sku="SUGAR", qty="10", unit="kg", supplier=sid):
        return {"json": {"supplier_id": supplier, "lines": [{"material_sku": sku, "quantity": qty, "unit": unit}]}}

    assert "unknown material NOPE" in await p.refused("POST", "/purchase-orders", **po(sku="NOPE"))
    assert "unit L does not fit SUGAR" in await p.refused("POST", "/purchase-orders", **po(unit="L"))
    assert "finished good" in await p.refused("POST", "/purchase-orders", **po(sku="CREAM", unit="pcs"))
    assert "inactive" in await p.refused("POST", "/purchase-orders", **po(sku="OLD"))
    assert "no terms for LABEL" in await p.refused("POST", "/purchase-orders", **po(sku="LABEL", unit="pcs"))
    assert "unknown supplier" in await p.refused("POST", "/purchase-orders", **po(supplier="nobody"))
    for qty in ("0", "-3"):
        await p.refused("POST", "/purchase-orders", **po(qty=qty))
    await p.refused("POST", "/purchase-orders", json={"supplier_id": sid, "lines": []})
    assert await p.ok("GET", "/purchase-orders") == []

    terms = f"/suppliers/{sid}/materials"
    assert "unknown material" in await p.refused("PUT", f"{terms}/NOPE", json={"lead_time_days": 1, "pack_size": "1"})
    assert "whole number of pieces" in await p.refused("PUT", f"{terms}/LABEL", json={"lead_time_days": 1, "pack_size": "2.5"})
    await p.refused("PUT", f"{terms}/SUGAR", json={"lead_time_days": -1, "pack_size": "1"})
    await p.refused("PUT", f"{terms}/SUGAR", json={"lead_time_days": 1, "pack_size": "0"})
    await p.refused("POST", "/suppliers", 409, json={"name": "sweet"})
    await p.refused("GET", "/purchase-orders", params={"statuss": "sent"})  # a mistyped filter is not ignored
    await p.refused("GET", f"/purchase-orders/{uuid.uuid4()}", 404)

    # A whole-piece material accepts whole packs; the preferred flag moves to the last one set.
    other = await p.supplier("Labels Ltd", LABEL=dict(lead_time_days=4, pack_size="100", preferred=True))
    await p.ok("PUT", f"{terms}/LABEL", json={"lead_time_days": 9, "pack_size": "500", "preferred": True})
    prefs = {m["supplier_id"]: m["preferred"] for s in await p.ok("GET", "/suppliers") for m in s["materials"]
             if m["material_sku"] == "LABEL"}
    assert prefs == {sid: True, other: False}

    made = await p.ok("POST", "/purchase-orders", 201, json={
        "supplier_id": sid, "lines": [{"material_sku": "SUGAR", "quantity": "500", "unit": "g"}]})
    assert D(made["lines"][0]["base_quantity"]) == D("0.5") and made["lines"][0]["base_unit"] == "kg"


async def test_facts_of_a_line_are_applied_by_when_inventory_raised_them(purchasing):
    p = purchasing
    await p.material("SUGAR")
    order = str(uuid.uuid4())
    # Covered (reserved) after it waited, but the reservation arrives first: it stays covered.
    await p.deliver(reserved(order), occurred_at=later())
    await p.deliver(short(order, ("SUGAR", "30", "0")), occurred_at=earlier())
    assert await p.suggestions() == {}

    # Waiting again later (a cancelled batch re-planned it): it counts.
    await p.deliver(short(order, ("SUGAR", "30", "0")), occurred_at=later(5))
    assert D((await p.suggestions())["SUGAR"]["missing"]) == 30

    # Served from stock: an OrderAllocated without the line outstanding; with it, no news.
    other = str(uuid.uuid4())
    await p.deliver(short(other, ("SUGAR", "10", "0")))
    await p.deliver(allocated(other, outstanding=True), occurred_at=later(6))
    assert D((await p.suggestions())["SUGAR"]["required"]) == 40
    await p.deliver(allocated(other), occurred_at=later(7))
    assert D((await p.suggestions())["SUGAR"]["required"]) == 30


async def test_every_consumed_event_twice_changes_nothing(purchasing):
    p = purchasing
    await p.material("SUGAR")
    await p.supplier("Sweet", SUGAR=dict(lead_time_days=2, pack_size="25", preferred=True))
    a, b, c = (str(uuid.uuid4()) for _ in range(3))

    async def twice(event, **kw):
        env = await p.deliver(event, **kw)
        await p.deliver(event, event_id=env.event_id, occurred_at=env.occurred_at)  # the same delivery again
        await p.deliver(event, occurred_at=env.occurred_at)  # the same fact under a new event id

    await twice(short(a, ("SUGAR", "30", "5")))
    await twice(short(b, ("SUGAR", "20", "5")))
    await twice(short(c, ("SUGAR", "10", "5")))
    await twice(reserved(b), occurred_at=later())
    await twice(allocated(c), occurred_at=later())
    await twice(cancelled(str(uuid.uuid4())))
    await p.material("SUGAR", revision=1)  # an old definition again
    s = (await p.suggestions())["SUGAR"]
    assert (D(s["required"]), D(s["missing"]), D(s["quantity"])) == (30, 25, 25)
    assert [w["order_id"] for w in s["waiting"]] == [a]

    (po,) = (await p.ok("POST", "/purchase-orders/from-suggestions", 201, json={}))["purchase_orders"]
    sent = await p.ok("POST", f"/purchase-orders/{po['purchase_order_id']}/send")
    await twice(received(sent, 1, "10"))
    after = await p.ok("GET", f"/purchase-orders/{po['purchase_order_id']}")
    assert after["status"] == "partly_received" and D(after["lines"][0]["received"]) == 10
    assert len(after["receipts"]) == 1
