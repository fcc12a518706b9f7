"""Shipping under early/late events, bad input and a flaky mail server."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import text

from contracts.events import PromiseChanged
from devstack.testing import query_rows
from devstack.waiting import poll
from shipping import order_rows
from shipping.notifier import send_due
from shipping_testkit import (
    SmtpServer, allocated, allocation, cancelled, deliver, held_while, new_order_id, outbox, placed, sender,
)

pytestmark = pytest.mark.integration

SHIP = {"carrier": "DHL", "tracking_no": "JD0146000031"}


async def prepared(rt, client, order_id: str) -> str:
    await deliver(rt, allocated(order_id, allocation("B1", "12")))
    (s,) = (await client.get("/shipments", params={"order_id": order_id})).json()
    return s["shipment_id"]


async def notes(client, order_id: str) -> list[dict]:
    """The order's shipping mails (its confirmation aside: confirmations.py has its own tests)."""
    found = (await client.get("/notifications", params={"order_id": order_id})).json()
    return [n for n in found if n["kind"] == "shipped"]


async def test_allocation_before_order_placed_ships_and_mails_once_the_recipient_is_known(rt, client, smtp):
    order_id = new_order_id()
    sid = await prepared(rt, client, order_id)  # OrderAllocated overtook OrderPlaced

    assert (await client.post(f"/shipments/{sid}/ship", json=SHIP)).status_code == 200
    (note,) = await notes(client, order_id)
    assert note["status"] == "waiting_recipient" and note["to"] is None
    assert await send_due(rt) == 0  # nothing may go out without an address
    assert smtp.mailbox.messages == []

    async with sender(rt):
        await deliver(rt, placed(order_id, order_no="SO-3001", email="grace@example.com"))
        await poll(lambda: _sent(client, order_id), 10)
    (mail,) = smtp.mailbox.messages
    assert smtp.mailbox.rcpts == [["grace@example.com"]]
    assert mail["Subject"] == "Your order SO-3001 has shipped (DHL JD0146000031)"
    assert "Hello Ada Lovelace," in mail.get_payload(decode=True).decode()


async def test_both_arrival_orders_converge_to_the_same_shipment(rt, client):
    a, b = new_order_id(), new_order_id()
    await deliver(rt, placed(a))
    await deliver(rt, allocated(a, allocation("B1", "12")))
    await deliver(rt, allocated(b, allocation("B1", "12")))
    await deliver(rt, placed(b))
    sa, sb = [(await client.get("/shipments", params={"order_id": o})).json()[0] for o in (a, b)]
    assert (sa["status"], sa["lines"]) == (sb["status"], sb["lines"])


@pytest.mark.parametrize(
    "body,needle",
    [
        ({"carrier": "Pony Express", "tracking_no": "JD0146000031"}, "unknown carrier"),
        ({"carrier": "DHL", "tracking_no": "ab"}, "tracking_no"),
        ({"carrier": "DHL", "tracking_no": "has spaces 123"}, "tracking_no"),
        ({"carrier": "DHL"}, "tracking_no"),
    ],
)
async def test_bad_carrier_or_tracking_is_422_and_changes_nothing(rt, client, body, needle):
    order_id = new_order_id()
    sid = await prepared(rt, client, order_id)
    r = await client.post(f"/shipments/{sid}/ship", json=body)
    assert r.status_code == 422 and needle in r.text
    assert (await client.get(f"/shipments/{sid}")).json()["status"] == "prepared"
    assert await outbox(rt) == []


async def test_unknown_shipment_is_404(client):
    r = await client.post("/shipments/00000000-0000-0000-0000-000000000000/ship", json=SHIP)
    assert r.status_code == 404
    assert (await client.get("/shipments/not-a-uuid")).status_code == 422


async def test_deliver_only_after_ship_and_only_once(rt, client):
    order_id = new_order_id()
    sid = await prepared(rt, client, order_id)
    r = await client.post(f"/shipments/{sid}/deliver")
    assert r.status_code == 409 and "only a shipped shipment" in r.json()["detail"]
    await client.post(f"/shipments/{sid}/ship", json=SHIP)
    r = await client.post(f"/shipments/{sid}/deliver")
    assert r.status_code == 200 and r.json()["status"] == "delivered" and r.json()["delivered_at"]
    assert (await client.post(f"/shipments/{sid}/deliver")).status_code == 409
    (row,) = await outbox(rt, "Delivered")
    assert row["key"] == order_id and row["topic"] == "shipping.delivered.v1"
    assert row["envelope"].data["shipment_id"] == sid


async def test_cancelled_order_withdraws_its_prepared_shipment_and_stays_withdrawn(rt, client):
    order_id = new_order_id()
    sid = await prepared(rt, client, order_id)
    await deliver(rt, cancelled(order_id))
    assert (await client.get(f"/shipments/{sid}")).json()["status"] == "cancelled"
    r = await client.post(f"/shipments/{sid}/ship", json=SHIP)
    assert r.status_code == 409 and "cancelled" in r.json()["detail"]
    await deliver(rt, allocated(order_id, allocation("B2", "12")))  # late allocation
    assert (await client.get(f"/shipments/{sid}")).json()["status"] == "cancelled"


async def test_cancel_before_allocation_prevents_a_shipment(rt, client):
    order_id = new_order_id()
    await deliver(rt, cancelled(order_id))
    await deliver(rt, placed(order_id))
    await deliver(rt, allocated(order_id, allocation("B1", "12")))
    assert (await client.get("/shipments", params={"order_id": order_id})).json() == []


async def test_cancel_after_shipping_leaves_the_shipment_shipped(rt, client):
    order_id = new_order_id()
    sid = await prepared(rt, client, order_id)
    await client.post(f"/shipments/{sid}/ship", json=SHIP)
    await deliver(rt, cancelled(order_id))
    assert (await client.get(f"/shipments/{sid}")).json()["status"] == "shipped"


async def test_mail_server_down_keeps_the_mail_pending_then_it_goes_out(rt, client):
    order_id = new_order_id()
    await deliver(rt, placed(order_id))
    sid = await prepared(rt, client, order_id)
    down = SmtpServer()  # a free port with nobody listening yet
    rt.settings.smtp_port = down.port
    rt.settings.notify_backoff_initial = 1.0  # long enough to observe, short enough to wait for
    rt.settings.notify_backoff_max = 5.0  # (the fixture's 0.2 s cap passed before the check on a loaded machine)
    await client.post(f"/shipments/{sid}/ship", json=SHIP)

    assert await send_due(rt) == 0
    (note,) = await notes(client, order_id)
    assert note["status"] == "pending" and note["attempts"] == 1 and note["last_error"]
    async with rt.uow.sessions() as session:
        later = (await session.execute(text("SELECT next_attempt_at > now() FROM notifications WHERE kind = 'shipped'"))).scalar()
    assert later  # backed off, not hammering the server

    down.start()
    try:
        async with sender(rt):
            await poll(lambda: down.mailbox.messages, 10)
            await poll(lambda: _sent(client, order_id), 10)
    finally:
        down.stop()
    assert len(down.mailbox.messages) == 1
    (note,) = await notes(client, order_id)
    assert note["attempts"] == 2 and note["last_error"] is None


async def _sent(client, order_id):
    return (await notes(client, order_id))[0]["status"] == "sent"


async def test_two_senders_never_mail_the_same_notification_twice(rt, client, smtp):
    orders = [new_order_id() for _ in range(6)]
    for i, order_id in enumerate(orders):
        await deliver(rt, placed(order_id, order_no=f"SO-{i}", email=f"c{i}@example.com"))
        sid = await prepared(rt, client, order_id)
        await client.post(f"/shipments/{sid}/ship", json={"carrier": "UPS", "tracking_no": f"1Z0000{i}"})

    sent = await asyncio.gather(send_due(rt), send_due(rt))
    assert sum(sent) == 6
    assert sorted(r[0] for r in smtp.mailbox.rcpts) == sorted(f"c{i}@example.com" for i in range(6))


async def test_a_sending_pass_mails_over_one_connection_and_a_refused_mail_holds_up_no_other(rt, client, smtp):
    async def ship_to(emails: list[str]) -> None:
        for email in emails:
            order_id = new_order_id()
            await deliver(rt, placed(order_id, email=email))
            sid = await prepared(rt, client, order_id)
            assert (await client.post(f"/shipments/{sid}/ship", json=SHIP)).status_code == 200

    await ship_to([f"c{i}@example.com" for i in range(3)])
    assert await send_due(rt) == 3
    assert len(smtp.mailbox.messages) == 3 and len(set(smtp.mailbox.peers)) == 1  # one connection for the pass

    # The server refuses one recipient: that mail waits for its retry, the next ones still leave.
    smtp.mailbox.refused.add("gone@example.com")
    rt.settings.notify_backoff_initial = 60.0  # its retry is not due again within this pass
    await ship_to(["gone@example.com", "c3@example.com", "c4@example.com"])
    assert await send_due(rt) == 2
    assert sorted(r[0] for r in smtp.mailbox.rcpts[3:]) == ["c3@example.com", "c4@example.com"]
    async with rt.uow.sessions() as session:
        status, attempts, error = (await session.execute(text(
            "SELECT status, attempts, last_error FROM notifications WHERE to_addr = 'gone@example.com' AND kind = 'shipped'"))).one()
    assert (status, attempts) == ("pending", 1) and "Mailbox unavailable" in error


async def test_an_orders_facts_handled_at_the_same_moment_converge(rt, client):
    # OrderPlaced, PromiseChanged and OrderAllocated travel on three topics: three consumers may
    # handle them in parallel transactions. Each takes the order row first, so every order ends
    # with one confirmation carrying the date, one live status link and one prepared shipment.
    promised = date(2030, 3, 1)
    orders = [new_order_id() for _ in range(20)]

    async def at_once(i: int, order_id: str) -> None:
        facts = [placed(order_id, order_no=f"SO-{i}"),
                 PromiseChanged(order_id=order_id, promised_date=promised, expected_date=promised),
                 allocated(order_id, allocation(f"B{i}", "12"))]
        await asyncio.gather(*(deliver(rt, f) for f in (facts if i % 2 else reversed(facts))))

    await asyncio.gather(*(at_once(i, o) for i, o in enumerate(orders)))
    for order_id in orders:
        mails = (await client.get("/notifications", params={"order_id": order_id})).json()
        assert [(m["kind"], m["status"] != "waiting_recipient") for m in mails] == [("confirmation", True)]
        assert "1 March 2030" in mails[0]["body"]
        (shipment,) = (await client.get("/shipments", params={"order_id": order_id})).json()
        assert shipment["status"] == "prepared" and shipment["order_no"] is not None
    async with rt.uow.sessions() as session:
        live = (await session.execute(text(
            "SELECT count(DISTINCT order_id), count(*) FROM status_links WHERE revoked_at IS NULL"))).one()
    assert tuple(live) == (20, 20)


async def test_carriers_are_listed(client):
    names = [c["name"] for c in (await client.get("/carriers")).json()]
    assert names == ["DHL", "UPS", "DPD", "GLS", "FedEx", "USPS", "Local courier"]


async def test_mail_that_keeps_failing_is_failed_visibly_and_a_retry_by_hand_sends_it(rt, client):
    order_id = new_order_id()
    await deliver(rt, placed(order_id))
    sid = await prepared(rt, client, order_id)
    down = SmtpServer()
    rt.settings.smtp_port = down.port
    rt.settings.notify_max_attempts = 2
    rt.settings.notify_backoff_initial = 0.01
    await client.post(f"/shipments/{sid}/ship", json=SHIP)

    async def failed():
        await send_due(rt)
        return (await client.get("/notifications", params={"status": "failed"})).json()

    (note,) = await poll(failed, 10, what="the notification failed")
    assert note["attempts"] == 2 and note["last_error"]
    assert (await client.get("/notifications", params={"status": "bogus"})).status_code == 422
    down.start()
    try:
        r = await client.post(f"/notifications/{note['notification_id']}/retry")
        assert r.status_code == 200 and r.json()["status"] == "pending"
        assert await send_due(rt) == 1
        assert len(down.mailbox.messages) == 1
    finally:
        down.stop()
    again = await client.post(f"/notifications/{note['notification_id']}/retry")
    assert again.status_code == 409


# -- The handlers and the ship command take the order's lock and read in one statement, whose
# snapshot is older than what a holder of that lock committed while it waited.

async def test_an_allocation_waiting_for_the_order_lock_builds_on_the_shipment_its_holder_prepared(rt, client):
    order_id = new_order_id()
    await deliver(rt, placed(order_id))
    await held_while(rt, allocated(order_id, allocation("B1", "12")),
                     lambda: deliver(rt, allocated(order_id, allocation("B2", "12"))))
    (s,) = (await client.get("/shipments", params={"order_id": order_id})).json()
    assert s["status"] == "prepared" and [(li["lot_no"], li["quantity"]) for li in s["lines"]] == [("B2", "12.000000")]


async def test_two_allocations_of_an_order_not_known_yet_prepare_one_shipment(rt, client):
    # Neither found the order's row: the second's upsert waited for the first's insert.
    order_id = new_order_id()
    await held_while(rt, allocated(order_id, allocation("B1", "12")),
                     lambda: deliver(rt, allocated(order_id, allocation("B1", "7"), allocation("B2", "5"))))
    (s,) = (await client.get("/shipments", params={"order_id": order_id})).json()
    assert [(li["lot_no"], li["quantity"]) for li in s["lines"]] == [("B1", "7.000000"), ("B2", "5.000000")]


async def test_a_ship_waiting_for_the_order_lock_ships_the_lines_its_holder_wrote(rt, client):
    order_id = new_order_id()
    await deliver(rt, placed(order_id))
    sid = await prepared(rt, client, order_id)  # lot B1
    r = await held_while(rt, allocated(order_id, allocation("B2", "12")),
                         lambda: client.post(f"/shipments/{sid}/ship", json=SHIP))
    assert r.status_code == 200, r.text
    assert [li["lot_no"] for li in r.json()["lines"]] == ["B2"]
    (row,) = await outbox(rt, "Shipped")
    assert [li["lot_no"] for li in row["envelope"].data["lines"]] == ["B2"]
    (note,) = await notes(client, order_id)
    assert "(lot B2)" in note["body"]


async def test_a_repeated_date_is_not_the_first_even_behind_the_lock_of_the_one_that_was(rt):
    promised = date(2030, 3, 1)

    async def first_date(order_id: str) -> bool:
        async with rt.uow.sessions() as session, session.begin():
            return (await order_rows.keep_dates(session, order_id, promised, promised))[1]

    order_id = new_order_id()
    assert await first_date(order_id) is True
    assert await first_date(order_id) is False
    other = new_order_id()
    await deliver(rt, placed(other))
    dated = PromiseChanged(order_id=other, promised_date=promised, expected_date=promised)
    assert await held_while(rt, dated, lambda: first_date(other)) is False


async def test_a_redelivered_order_placed_changes_nothing(rt, client):
    order_id = new_order_id()
    sid = await prepared(rt, client, order_id)  # shipped before the recipient was known: its mail waits
    assert (await client.post(f"/shipments/{sid}/ship", json=SHIP)).status_code == 200
    await deliver(rt, placed(order_id))

    async def state():
        links = await query_rows(rt.uow, "SELECT link_id, token_hash, revoked_at FROM status_links "
                                         "WHERE order_id = :o ORDER BY created_at", o=order_id)
        mails = await query_rows(rt.uow, "SELECT notification_id, kind, status, to_addr, subject, body, secret, "
                                         "next_attempt_at FROM notifications WHERE order_id = :o ORDER BY kind", o=order_id)
        return links, mails

    before = await state()
    assert [(m["kind"], m["status"]) for m in before[1]] == [("confirmation", "pending"), ("shipped", "pending")]
    assert len(before[0]) == 1 and before[0][0]["revoked_at"] is None
    await deliver(rt, placed(order_id))  # the same fact under a new event id
    assert await state() == before
