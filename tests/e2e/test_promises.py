"""Dates across the running system: the quote from stock, from materials and from a
shortage; an order with a line in stock and a waiting one dated by the waiting line; a
yield shortfall slipping the expected date past the promise (PromiseChanged, one e-mail);
an early receipt bringing it forward without an e-mail. Every service its own process."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from flows import batches_of, item, place, produce, receive, recipe, tag, wait_status
from harness import client, ok, poll
from test_saga import recipe_known_to_inventory

pytestmark = pytest.mark.e2e


def day(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


async def quote(c, sku: str, qty: str, unit: str = "pcs") -> dict:
    return await ok(await c.get("/api/quote", params={"sku": sku, "quantity": qty, "unit": unit}))


async def dates(c, order_id: str, want=lambda o: True) -> dict:
    async def seen():
        o = (await ok(await c.get(f"/api/orders/{order_id}")))["order"]
        return o if o["promised_date"] and want(o) else None

    return await poll(seen, deadline=60, what=f"dates of order {order_id}")


async def delay_mails(c, order_id: str) -> list[dict]:
    notes = await ok(await c.get("/api/notifications", params={"order_id": order_id}))
    return [n for n in notes if n["kind"] == "delayed"]


async def test_quotes_and_an_expected_date_that_slips_and_comes_back(system):
    t = tag()
    soap, oil, bar = f"SOAP-{t}", f"OIL-{t}", f"BAR-{t}"
    async with client(system) as c:
        await item(c, soap, "finished", "pcs", shelf_life_days=365)
        await item(c, bar, "finished", "pcs")
        await item(c, oil, "raw", "kg", supplier_lead_time_days=14)
        await receive(c, bar, "10", "pcs", lot_no=f"BAR1-{t}")
        await receive(c, oil, "5", "kg", lot_no=f"OIL1-{t}")  # one batch of 50
        await recipe(c, soap, [(oil, "0.1", "kg")], batch_min="50", batch_multiple="25", lead_time_days=2)
        await recipe_known_to_inventory(system, soap)

        q = await quote(c, bar, "5")
        assert (q["basis"], q["ship_date"]) == ("stock", day(1))
        q = await quote(c, soap, "50")
        assert q["basis"] == "production" and q["ship_date"] >= day(3)
        q = await quote(c, soap, "75")  # 7.5 kg of oil, 5 on hand: buy 2.5 kg, 14 days
        assert q["basis"] == "purchase" and q["ship_date"] >= day(17)
        assert f"2.5 kg of {oil} (supplier lead time 14 days)" in q["explanation"]
        assert (await c.get("/api/quote", params={"sku": f"NOPE-{t}", "quantity": "1", "unit": "pcs"})).status_code == 422

        # Made to order: 50 soaps and 5 bars. Promised at the batch's end + 1 handling day.
        order_id = await place(c, [(bar, "5", "pcs"), (soap, "50", "pcs")], email=f"late-{t}@example.com")
        # The bars are allocated at once (the order's progress says so), the soaps planned.
        await wait_status(c, order_id, "materials_reserved", "allocated")
        [batch] = await batches_of(c, order_id)
        first = await dates(c, order_id, lambda o: o["expected_date"] == o["promised_date"])
        promised = first["promised_date"]
        assert promised == (date.fromisoformat(batch["planned_end"]) + timedelta(days=1)).isoformat()

        # 40 made of 50: the 10 left need another batch, and the oil for it takes 14 days.
        await produce(c, batch["batch_id"], output="40")
        slipped = await dates(c, order_id, lambda o: o["expected_date"] == day(17))
        assert slipped["promised_date"] == promised  # the promise stands; the new date is beside it
        assert any(e["event_type"] == "PromiseChanged" and f"to {day(17)}" in e["detail"] for e in slipped["timeline"])
        mails = await poll(lambda: delay_mails(c, order_id), deadline=30, what="the delay e-mail")
        assert len(mails) == 1 and mails[0]["to"] == f"late-{t}@example.com"

        # Meanwhile another order: 1 bar in stock, 50 soaps waiting for oil -> dated by the soaps.
        other = await place(c, [(bar, "1", "pcs"), (soap, "50", "pcs")])
        both = await dates(c, other)
        assert (both["status"], both["promised_date"], both["expected_date"]) == ("awaiting_materials", day(17), day(17))

        # The oil arrives early (today): the rest is made now, the date comes forward, no e-mail.
        await receive(c, oil, "10", "kg", lot_no=f"OIL2-{t}")
        back = await dates(c, order_id, lambda o: o["expected_date"] is not None and o["expected_date"] < day(17))
        assert back["promised_date"] == promised
        assert len(await delay_mails(c, order_id)) == 1

        stuck = await ok(await c.get("/api/orders/stuck"))
        assert all(i["order_id"] != order_id for i in stuck["items"])
