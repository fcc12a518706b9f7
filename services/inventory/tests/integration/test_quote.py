"""Quotes (ATP/CTP without capacity) and dated waits: what an operator or the order form
asks before an order exists, and the date a waiting line carries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from inventory_testkit import D, order, recipe, scheduled, today

from contracts import events as ev

pytestmark = pytest.mark.integration


async def soap_catalog(inv, oil="100"):
    """SOAP (pcs) made from 0.1 kg OIL each, batches of at least 50 in 10s, 2 days to make;
    OIL takes 14 days from the supplier."""
    await inv.item("OIL", base_unit="kg", supplier_lead_time_days=14)
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    await inv.deliver(recipe("SOAP", [("OIL", "0.1", "kg")], output_unit="pcs", batch_min="50", batch_multiple="10",
                             lead_time_days=2))
    if oil:
        await inv.receive("OIL", oil, "kg")


async def quote(inv, sku, quantity, unit="pcs"):
    return await inv.get("/quote", sku=sku, quantity=quantity, unit=unit)


async def test_quote_from_free_stock_net_of_allocations_and_never_expired(inv):
    await soap_catalog(inv)
    await inv.receive("SOAP", "10", "pcs", lot_no="S1")
    await inv.receive("SOAP", "50", "pcs", lot_no="OLD", received_date=(today() - timedelta(days=40)).isoformat(),
                      expiry_date=(today() - timedelta(days=1)).isoformat())
    assert (await quote(inv, "SOAP", "10"))["basis"] == "stock"
    await inv.deliver(order("o1", ("SOAP", "4", "pcs")))  # 4 of the 10 set aside
    q = await quote(inv, "SOAP", "10")
    assert q["basis"] == "production" and D(q["from_stock"]) == 6
    assert q["ready_date"] == (today() + timedelta(days=2)).isoformat() and q["needs_production"]


async def test_quote_from_the_surplus_of_a_planned_batch_at_its_planned_end(inv):
    await soap_catalog(inv)
    (reserved,) = await inv.deliver(order("o1", ("SOAP", "20", "pcs")))  # batch of 50: 30 unpromised
    assert isinstance(reserved, ev.MaterialsReserved)
    end = today() + timedelta(days=6)
    await inv.deliver(scheduled(reserved.plan_id, "50", sku="SOAP", unit="pcs").model_copy(update={"planned_end": end}))
    q = await quote(inv, "SOAP", "30")
    assert (q["basis"], q["ready_date"], D(q["from_plans"])) == ("planned_batch", end.isoformat(), D(30))
    assert (await quote(inv, "SOAP", "31"))["basis"] == "production"  # one more needs a new batch


async def test_quote_from_materials_and_from_a_shortage_with_supplier_lead_time(inv):
    await soap_catalog(inv, oil="5")  # enough for one batch of 50
    q = await quote(inv, "SOAP", "50")
    assert (q["basis"], q["materials_ready_on"], q["lead_time_days"]) == ("production", today().isoformat(), 2)
    q = await quote(inv, "SOAP", "60")  # batch of 60 needs 6 kg
    assert q["basis"] == "purchase"
    assert q["materials_ready_on"] == (today() + timedelta(days=14)).isoformat()
    assert q["ready_date"] == (today() + timedelta(days=16)).isoformat()
    assert [(m["sku"], D(m["missing"]), m["supplier_lead_time_days"]) for m in q["materials"]] == [("OIL", D(1), 14)]


async def test_quote_refuses_what_orders_refuse(inv):
    await soap_catalog(inv)
    for params, words in [
        ({"sku": "NOPE", "quantity": "1", "unit": "pcs"}, "unknown SKU"),
        ({"sku": "SOAP", "quantity": "2", "unit": "kg"}, "does not fit"),
        ({"sku": "SOAP", "quantity": "1.5", "unit": "pcs"}, "whole pieces"),
        ({"sku": "OIL", "quantity": "1", "unit": "kg"}, "not sold"),
    ]:
        resp = await inv.api.get("/quote", params=params)
        assert resp.status_code == 422 and words in resp.json()["detail"], (params, resp.text)


async def test_a_waiting_line_is_dated_and_coded_and_a_new_lead_time_re_dates_it(inv):
    await soap_catalog(inv, oil="1")
    events = await inv.deliver(order("o1", ("SOAP", "50", "pcs")))
    (short,) = [e for e in events if isinstance(e, ev.MaterialsShort)]
    assert (short.reason_code, short.expected_date) == ("shortage", today() + timedelta(days=16))

    # The supplier announces the delivery a week later: the line's date moves with it.
    resp = await inv.api.patch("/items/OIL", json={"supplier_lead_time_days": 21})
    assert resp.status_code == 200
    redated = [e for e in await inv.emitted() if isinstance(e, ev.MaterialsShort)]
    assert [e.expected_date for e in redated] == [today() + timedelta(days=16), today() + timedelta(days=23)]
    # The same lead time again: nothing new to say.
    await inv.api.patch("/items/OIL", json={"supplier_lead_time_days": 21})
    assert len([e for e in await inv.emitted() if isinstance(e, ev.MaterialsShort)]) == 2


async def test_waits_other_than_shortage_carry_their_code(inv):
    await inv.item("BALM", kind="finished", base_unit="kg")
    events = await inv.deliver(order("o1", ("BALM", "1", "kg"), ("GHOST", "1", "pcs")))
    codes = {e.line_no: (e.reason_code, e.expected_date) for e in events if isinstance(e, ev.MaterialsShort)}
    assert codes == {1: ("no_recipe", None), 2: ("unknown_item", None)}
