"""PromiseChanged: the customer is e-mailed once when the expected date slips past the
promise - once per new date whatever the redeliveries; nothing when it moves earlier or
stays within the promise."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.events import PromiseChanged
from devstack.waiting import poll
from shipping_testkit import cancelled, deliver, new_order_id, placed, sender

pytestmark = pytest.mark.integration
PROMISED = date(2030, 3, 10)


def moved(order_id: str, expected: date | None, previous: date | None) -> PromiseChanged:
    return PromiseChanged(order_id=order_id, order_no="SO-3001", promised_date=PROMISED, expected_date=expected,
                          previous_expected_date=previous, reason="materials short")


async def delay_notes(client, order_id: str) -> list[dict]:
    return [n for n in (await client.get("/notifications", params={"order_id": order_id})).json() if n["kind"] == "delayed"]


async def test_a_slip_past_the_promise_mails_the_customer_once(rt, client, smtp):
    order_id = new_order_id()
    await deliver(rt, placed(order_id, order_no="SO-3001", email="ada@example.com"))
    async with sender(rt):
        slip = moved(order_id, date(2030, 3, 24), PROMISED)
        await deliver(rt, slip)
        await deliver(rt, slip)  # redelivered under a new event id
        await deliver(rt, moved(order_id, date(2030, 3, 9), date(2030, 3, 24)))  # earlier: no mail
        await deliver(rt, moved(order_id, date(2030, 3, 10), date(2030, 3, 9)))  # within the promise: no mail
        await deliver(rt, moved(order_id, date(2030, 3, 24), date(2030, 3, 10)))  # the same late date again
        notes = await poll(lambda: _sent(client, order_id), 10)
    # Besides the order confirmation (dated by the first PromiseChanged): one delay mail.
    delays = [m for m in smtp.mailbox.messages if "later than promised" in m["Subject"]]
    assert len(delays) == 1 and len(notes) == 1
    mail = delays[0]
    assert mail["To"] == "ada@example.com" and "SO-3001 will ship later than promised" in mail["Subject"]
    assert "10 March 2030" in notes[0]["body"] and "24 March 2030" in notes[0]["body"]


async def _sent(client, order_id):
    notes = await delay_notes(client, order_id)
    return notes if notes and all(n["status"] == "sent" for n in notes) else None


async def test_a_further_slip_is_a_second_mail_and_a_cancelled_order_gets_none(rt, client):
    order_id, gone = new_order_id(), new_order_id()
    for oid in (order_id, gone):
        await deliver(rt, placed(oid))
    await deliver(rt, moved(order_id, date(2030, 3, 24), PROMISED))
    await deliver(rt, moved(order_id, date(2030, 4, 2), date(2030, 3, 24)))
    assert [n["subject"] for n in await delay_notes(client, order_id)] == [
        "Your order SO-1001 will ship later than promised"] * 2
    await deliver(rt, cancelled(gone))
    await deliver(rt, moved(gone, date(2030, 3, 24), PROMISED))
    assert await delay_notes(client, gone) == []


async def test_a_slip_before_the_order_is_known_waits_for_the_recipient(rt, client):
    order_id = new_order_id()
    await deliver(rt, moved(order_id, date(2030, 3, 24), PROMISED))
    (note,) = await delay_notes(client, order_id)
    assert note["status"] == "waiting_recipient" and note["to"] is None
    await deliver(rt, placed(order_id, order_no="SO-3001", email="ada@example.com"))
    (note,) = await delay_notes(client, order_id)
    assert note["status"] == "pending" and note["to"] == "ada@example.com" and "Hello Ada Lovelace" in note["body"]
