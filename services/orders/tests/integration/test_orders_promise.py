"""Promise kept, expected date beside it: every line dated (waiting ones too), the latest
wins; supply news moves the expected date, says so on the timeline and publishes
PromiseChanged; the promise never moves."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from contracts import events as ev
from contracts.events.inventory import MaterialShortage
from orders_testkit import D, allocated, completed, reserved, scheduled, short, today

pytestmark = pytest.mark.integration

SOAP = [{"sku": "SOAP-1", "quantity": "10", "unit": "pcs"}]


def dated_short(order_id: str, line_no: int, expected: date, sku: str = "CREAM-2", code: str = "shortage") -> ev.MaterialsShort:
    return short(order_id, line_no=line_no, sku=sku).model_copy(update={"expected_date": expected, "reason_code": code})


async def changes(orders, oid: str) -> list[tuple]:
    return [(e.data["previous_expected_date"], e.data["expected_date"], e.data["promised_date"])
            for _, key, e in await orders.outbox(".promise-changed.v1") if key == oid]


async def test_one_line_in_stock_and_one_waiting_gets_the_waiting_lines_date(orders):
    oid = (await orders.place())["order_id"]
    waiting_until = today() + timedelta(days=16)  # 14 days to buy OIL + 2 to make
    # Inventory's events arrive on different topics: the allocation first, then the shortage.
    await orders.deliver(allocated(oid, [(1, "10", "pcs")], outstanding=[(2, "5", "kg")]))
    assert (await orders.get(oid))["promised_date"] is None  # line 2 not dated yet: no promise yet
    await orders.deliver(dated_short(oid, 2, waiting_until))
    view = await orders.get(oid)
    first = str(waiting_until + timedelta(days=1))
    assert (view["status"], view["promised_date"], view["expected_date"]) == ("awaiting_materials", first, first)
    assert view["lines"][1]["waiting_date"] == str(waiting_until) and view["lines"][1]["short_code"] == "shortage"
    assert await changes(orders, oid) == [(None, first, first)]


async def test_a_line_partly_from_stock_is_dated_only_once_the_rest_is(orders):
    """Part of the line allocated from stock, the rest to be made: the allocation arrives
    first and must not promise today's date that the batch for the rest then breaks (a
    spurious delay e-mail at placement)."""
    oid = (await orders.place(lines=SOAP))["order_id"]
    await orders.deliver(allocated(oid, [(1, "4", "pcs")], outstanding=[(1, "6", "pcs")]))
    view = await orders.get(oid)
    assert (view["promised_date"], view["expected_date"]) == (None, None)
    await orders.deliver(reserved(oid, lead=2))
    view = await orders.get(oid)
    dated = str(today() + timedelta(days=3))  # made in 2 days, shipped 1 handling day after
    assert (view["promised_date"], view["expected_date"]) == (dated, dated)
    assert await changes(orders, oid) == [(None, dated, dated)]  # one date, never a slip


async def test_a_yield_shortfall_moves_the_expected_date_and_keeps_the_promise(orders):
    oid = (await orders.place(lines=SOAP))["order_id"]
    end = today() + timedelta(days=2)
    await orders.deliver(reserved(oid, lead=2))
    await orders.deliver(scheduled([(oid, 1)], end=end))
    promised = str(end + timedelta(days=1))
    # 6 of 10 made: inventory allocates them (backordered) and the rest waits for OIL (14 days).
    await orders.deliver(completed([(oid, 1)]))
    await orders.deliver(allocated(oid, [(1, "6", "pcs")], outstanding=[(1, "4", "pcs")], backordered=True))
    rest_ready = today() + timedelta(days=16)
    await orders.deliver(dated_short(oid, 1, rest_ready, sku="SOAP-1"))
    view = await orders.get(oid)
    assert view["promised_date"] == promised
    assert view["expected_date"] == str(rest_ready + timedelta(days=1))
    last = await changes(orders, oid)
    assert last[-1][1:] == (str(rest_ready + timedelta(days=1)), promised)
    moved = [e["detail"] for e in view["timeline"] if e["event_type"] == "PromiseChanged"][-1]
    assert moved.startswith(f"expected date moved from ") and f"to {rest_ready + timedelta(days=1)}:" in moved


async def test_a_late_receipt_moves_the_date_and_an_early_one_brings_it_forward(orders):
    late, early = (await orders.place(lines=SOAP))["order_id"], (await orders.place(lines=SOAP))["order_id"]
    for oid in (late, early):
        await orders.deliver(dated_short(oid, 1, today() + timedelta(days=5), sku="SOAP-1"))
    first = str(today() + timedelta(days=6))
    # Late: the materials came 9 days from now (reserved then), 2 days to make.
    when = datetime.now(timezone.utc) + timedelta(days=9)
    await orders.deliver(reserved(late, lead=2), occurred_at=when)
    # Early: they came today.
    await orders.deliver(reserved(early, lead=2))
    assert (await orders.get(late))["expected_date"] == str(when.date() + timedelta(days=3))
    assert (await orders.get(early))["expected_date"] == str(today() + timedelta(days=3))
    assert await changes(orders, late) == [(None, first, first), (first, str(when.date() + timedelta(days=3)), first)]
    assert await changes(orders, early) == [(None, first, first), (first, str(today() + timedelta(days=3)), first)]
    # The same fact again moves nothing and publishes nothing.
    await orders.deliver(reserved(early, lead=2))
    assert len(await changes(orders, early)) == 2


async def test_stuck_orders_say_why_and_what_unblocks_them(orders):
    short_one = (await orders.place(lines=SOAP))["order_id"]
    recipe_less = (await orders.place(lines=SOAP))["order_id"]
    fine = (await orders.place(lines=SOAP))["order_id"]
    await orders.deliver(ev.MaterialsShort(
        order_id=short_one, line_no=1, sku="SOAP-1", quantity=D(10), unit="pcs", reason_code="shortage",
        expected_date=today() + timedelta(days=16),
        shortages=[MaterialShortage(material_sku="OIL", required=D(13), available=D(1), missing=D(12), unit="kg")]))
    # An event from before reason_code existed: the words still tell the category.
    await orders.deliver(ev.MaterialsShort(order_id=recipe_less, line_no=1, sku="SOAP-1", quantity=D(10), unit="pcs",
                                           reason="no recipe for SOAP-1: it cannot be made"))
    await orders.deliver(reserved(fine))
    page = (await orders.api.get("/stuck")).json()
    assert page["total"] == 2
    got = {o["order_id"]: [(ln["category"], ln["action"]) for ln in o["lines"]] for o in page["items"]}
    assert got == {short_one: [("shortage", "receive 12 kg of OIL")],
                   recipe_less: [("no recipe", "publish a recipe for SOAP-1")]}
    assert (await orders.api.get("/promise-rules")).json() == {"handling_days": 1}
