"""The customer told at every step, through a real SMTP listener: the order confirmation with
the promised date and a private status link that opens the order (once, whatever the
redeliveries; held for the date, or saying that it follows), the delivery e-mail (once), the
shop's language (French), and the link revoked and issued again."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import text

from contracts.events import PromiseChanged
from contracts.events.base import ShopDetails
from devstack.testing import deliver_to_handler
from devstack.waiting import poll
from shipping.delivery import NotDeliverable, mark_delivered
from shipping.handlers import on_order_placed
from shipping.notifier import send_due
from shipping_testkit import allocated, allocation, deliver, new_order_id, placed, sender

pytestmark = pytest.mark.integration

PROMISED = date(2030, 3, 1)
LINK = re.compile(r"http://127\.0\.0\.1:8100/track/([A-Za-z0-9_-]{32})")


def dated(order_id: str, promised: date = PROMISED, expected: date | None = None,
          previous: date | None = None) -> PromiseChanged:
    return PromiseChanged(order_id=order_id, order_no="SO-5001", promised_date=promised,
                          expected_date=expected or promised, previous_expected_date=previous, reason="allocated")


def french(order_id: str, tag: str = "fr-FR"):
    return placed(order_id, order_no="SO-5001").model_copy(update={"details": ShopDetails(language=tag)})


async def notes(client, order_id: str, kind: str) -> list[dict]:
    return [n for n in (await client.get("/notifications", params={"order_id": order_id})).json() if n["kind"] == kind]


def subject(mail) -> str:
    return str(make_header(decode_header(mail["Subject"])))  # non-ASCII subjects travel RFC 2047-encoded


def mails(smtp, needle: str) -> list:
    return [m for m in smtp.mailbox.messages if needle in subject(m)]


def body(mail) -> str:
    return mail.get_payload(decode=True).decode()


async def resolve(client, token: str):
    return await client.post("/status-links/resolve", json={"token": token})


async def test_confirmation_carries_lines_promised_date_and_a_link_that_opens_the_order(rt, client, smtp):
    order_id = new_order_id()
    async with sender(rt):
        await deliver(rt, placed(order_id, order_no="SO-5001"))
        # Held for the date (the default wait is a minute): nothing leaves yet.
        (note,) = await notes(client, order_id, "confirmation")
        assert note["status"] == "pending" and "[private status link]" in note["body"]
        assert note["order_no"] == "SO-5001"  # listed by the number people use
        first = dated(order_id)
        await deliver(rt, first)
        await deliver(rt, first)  # redelivered under a new event id
        await deliver(rt, placed(order_id, order_no="SO-5001"))  # OrderPlaced again
        (mail,) = await poll(lambda: mails(smtp, "We received"), 15)
        await poll(lambda: _all_sent(client, order_id, "confirmation"), 10)
    assert subject(mail) == "We received your order SO-5001" and mail["To"] == "ada@example.com"
    text_ = body(mail)
    assert "12 pcs CREAM-50" in text_ and "We will ship it by 1 March 2030." in text_
    (token,) = LINK.findall(text_)
    found = await resolve(client, token)
    assert found.status_code == 200 and found.json()["order_id"] == order_id and found.json()["order_no"] == "SO-5001"
    assert len(smtp.mailbox.messages) == 1  # one confirmation, no "date follows" mail

    # Only the token's hash stays in the database: the sent mail's secret is gone.
    async with rt.uow.sessions() as session:
        secrets_left = (await session.execute(text("SELECT count(*) FROM notifications WHERE secret IS NOT NULL "
                                                   "AND status = 'sent'"))).scalar()
        stored = (await session.execute(text("SELECT token_hash FROM status_links WHERE order_id = :o"),
                                        {"o": order_id})).scalars().all()
        bodies = (await session.execute(text("SELECT body FROM notifications WHERE order_id = :o"),
                                        {"o": order_id})).scalars().all()
    assert secrets_left == 0 and len(stored) == 1 and token not in stored[0]
    assert not any(token in b for b in bodies)


async def test_a_date_that_arrived_first_is_in_the_confirmation_at_once(rt, client, smtp):
    order_id = new_order_id()
    await deliver(rt, dated(order_id))  # PromiseChanged overtook OrderPlaced
    async with sender(rt):
        await deliver(rt, placed(order_id, order_no="SO-5001"))
        (mail,) = await poll(lambda: mails(smtp, "We received"), 15)
    assert "1 March 2030" in body(mail)


async def test_an_undated_order_is_confirmed_after_the_wait_and_the_date_follows_once(rt, client, smtp):
    order_id = new_order_id()
    async with sender(rt):
        await deliver_to_handler(rt.uow, on_order_placed, placed(order_id, order_no="SO-5001"), confirmation_wait=0)
        (mail,) = await poll(lambda: mails(smtp, "We received"), 15)
        assert "We will e-mail you the shipping date as soon as we know it." in body(mail)
        assert LINK.search(body(mail))
        await poll(lambda: _all_sent(client, order_id, "confirmation"), 10)
        first = dated(order_id, promised=date(2030, 4, 1))
        await deliver(rt, first)
        await deliver(rt, first)  # redelivered
        (later,) = await poll(lambda: mails(smtp, "will ship by"), 15)
        await poll(lambda: _all_sent(client, order_id, "dated"), 10)
        # A later move of the expected date within the promise is not a second "date" mail.
        await deliver(rt, dated(order_id, promised=date(2030, 4, 1), expected=date(2030, 3, 30),
                                previous=date(2030, 4, 1)))
        assert await send_due(rt) == 0
    assert subject(later) == "Your order SO-5001 will ship by 1 April 2030"
    assert len(smtp.mailbox.messages) == 2


async def test_delivery_mail_once_whatever_the_reports(rt, client, smtp):
    order_id = new_order_id()
    await deliver(rt, placed(order_id, order_no="SO-5001"))
    await deliver(rt, allocated(order_id, allocation("B1", "12")))
    (s,) = (await client.get("/shipments", params={"order_id": order_id})).json()
    sid = s["shipment_id"]
    assert (await client.post(f"/shipments/{sid}/deliver")).status_code == 409  # not shipped yet
    assert (await client.post(f"/shipments/{sid}/ship", json={"carrier": "DHL", "tracking_no": "JD0146000031"})).status_code == 200
    async with sender(rt):
        r = await client.post(f"/shipments/{sid}/deliver")
        assert r.status_code == 200 and r.json()["status"] == "delivered"
        again = await client.post(f"/shipments/{sid}/deliver")
        assert again.status_code == 409 and "already delivered" in again.json()["detail"]
        # A carrier reporting the same delivery through delivery.py: refused as already done.
        with pytest.raises(NotDeliverable) as refused:
            async with rt.uow.start(name="webhook") as ctx:
                import uuid
                await mark_delivered(ctx, uuid.UUID(sid), datetime.now(timezone.utc), source="carrier")
        assert refused.value.already_delivered
        (mail,) = await poll(lambda: mails(smtp, "has been delivered"), 15)
        await poll(lambda: _all_sent(client, order_id, "delivered"), 10)
    assert subject(mail) == "Your order SO-5001 has been delivered"
    assert "DHL delivered the parcel of your order SO-5001 (tracking number JD0146000031)" in body(mail)
    assert len(await notes(client, order_id, "delivered")) == 1
    assert len(mails(smtp, "has shipped")) == 1


@pytest.mark.parametrize("tag", ["fr", "fr-FR", "fr_CA"])
async def test_a_french_shop_order_is_written_to_in_french(rt, client, smtp, tag):
    order_id = new_order_id()
    async with sender(rt):
        await deliver(rt, french(order_id, tag))
        await deliver(rt, dated(order_id, promised=date(2030, 5, 1)))
        await deliver(rt, allocated(order_id, allocation("B1", "12")))
        (s,) = (await client.get("/shipments", params={"order_id": order_id})).json()
        await client.post(f"/shipments/{s['shipment_id']}/ship", json={"carrier": "DHL", "tracking_no": "JD0146000031"})
        await client.post(f"/shipments/{s['shipment_id']}/deliver")
        confirmation = (await poll(lambda: mails(smtp, "Nous avons bien reçu"), 15))[0]
        shipped = (await poll(lambda: mails(smtp, "a été expédiée"), 15))[0]
        delivered = (await poll(lambda: mails(smtp, "a été livrée"), 15))[0]
    assert subject(confirmation) == "Nous avons bien reçu votre commande SO-5001"
    assert "Bonjour Ada Lovelace," in body(confirmation)
    assert "Nous l'expédierons au plus tard le 1er mai 2030." in body(confirmation)
    assert LINK.search(body(confirmation))
    assert subject(shipped) == "Votre commande SO-5001 a été expédiée (DHL JD0146000031)"
    assert "Numéro de suivi : JD0146000031" in body(shipped)
    assert subject(delivered) == "Votre commande SO-5001 a été livrée"
    # The page the link opens is told the language, so it speaks the mails' language too.
    (token,) = LINK.findall(body(confirmation))
    assert (await resolve(client, token)).json()["language"] == tag


async def test_a_revoked_link_opens_nothing_and_a_new_one_does(rt, client, smtp):
    order_id = new_order_id()
    async with sender(rt):
        await deliver(rt, placed(order_id, order_no="SO-5001"))
        await deliver(rt, dated(order_id))
        (mail,) = await poll(lambda: mails(smtp, "We received"), 15)
        (token,) = LINK.findall(body(mail))
        assert (await resolve(client, token)).status_code == 200

        r = await client.post(f"/orders/{order_id}/status-link/revoke")
        assert r.status_code == 200 and r.json()["revoked"] == 1
        gone = await resolve(client, token)
        unknown = await resolve(client, "A" * 32)
        malformed = await resolve(client, "not-a-token")
        assert gone.status_code == unknown.status_code == malformed.status_code == 404
        assert gone.json() == unknown.json() == malformed.json()  # no oracle
        assert (await client.post(f"/orders/{order_id}/status-link/revoke")).json()["revoked"] == 0

        issued = await client.post(f"/orders/{order_id}/status-link")
        assert issued.status_code == 200 and issued.json()["mailed"] is True
        (fresh,) = LINK.findall(issued.json()["url"])
        assert fresh != token and (await resolve(client, fresh)).status_code == 200
        (new_mail,) = await poll(lambda: mails(smtp, "A new private link"), 15)
        assert fresh in body(new_mail)
        assert (await resolve(client, token)).status_code == 404
    assert (await client.post(f"/orders/{new_order_id()}/status-link/revoke")).status_code == 404
    assert (await client.post(f"/orders/{new_order_id()}/status-link")).status_code == 404


async def test_a_confirmation_still_held_when_a_new_link_is_issued_carries_the_new_link(rt, client, smtp):
    order_id = new_order_id()
    async with sender(rt):
        await deliver(rt, placed(order_id, order_no="SO-5001"))  # undated: held for the date
        issued = await client.post(f"/orders/{order_id}/status-link")
        assert issued.status_code == 200 and issued.json()["revoked"] == 1  # the confirmation's own link
        (fresh,) = LINK.findall(issued.json()["url"])
        (new_mail,) = await poll(lambda: mails(smtp, "A new private link"), 15)
        assert fresh in body(new_mail)
        assert not mails(smtp, "We received")  # still held
        await deliver(rt, dated(order_id))
        (confirmation,) = await poll(lambda: mails(smtp, "We received"), 15)
    # Not the link revoked while it waited: the one that opens the order.
    assert LINK.findall(body(confirmation)) == [fresh]
    assert (await resolve(client, fresh)).json()["order_id"] == order_id


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_a_link_revoked_before_its_mails_left_is_in_none_of_them(rt, client, smtp, language):
    """An operator revokes the link and issues none: the confirmation still held for its date
    says the link was withdrawn (in the order's language), and the mail that only brought a
    new link is not sent at all."""
    order_id = new_order_id()
    await deliver(rt, french(order_id) if language == "fr" else placed(order_id, order_no="SO-5001"))  # undated: held
    issued = await client.post(f"/orders/{order_id}/status-link")  # its mail waits: no sender runs yet
    (fresh,) = LINK.findall(issued.json()["url"])
    assert len(await notes(client, order_id, "status_link")) == 1
    revoked = await client.post(f"/orders/{order_id}/status-link/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked"] == 1
    assert (await resolve(client, fresh)).status_code == 404
    assert await notes(client, order_id, "status_link") == []
    async with sender(rt):
        await deliver(rt, dated(order_id))
        (confirmation,) = await poll(lambda: mails(smtp, "SO-5001"), 15)
    text = body(confirmation)
    assert not LINK.search(text) and "[private status link]" not in text
    withdrawn = {
        "en": "The private link to follow your order SO-5001 has been withdrawn; ask us for a new one if you need it.",
        "fr": "Le lien privé pour suivre votre commande SO-5001 a été retiré ; demandez-nous-en un nouveau si besoin.",
    }[language]
    assert withdrawn in text
    assert "private page" not in text and "page privée" not in text  # the link's own heading went with it
    (sent,) = await notes(client, order_id, "confirmation")
    assert sent["status"] == "sent"


async def test_the_resolved_order_shows_parcels_without_lots(rt, client, smtp):
    order_id = new_order_id()
    await deliver(rt, placed(order_id, order_no="SO-5001"))
    await deliver(rt, dated(order_id))
    await deliver(rt, allocated(order_id, allocation("B1", "5"), allocation("B2", "7")))
    (s,) = (await client.get("/shipments", params={"order_id": order_id})).json()
    async with sender(rt):
        (mail,) = await poll(lambda: mails(smtp, "We received"), 15)
    (token,) = LINK.findall(body(mail))
    assert (await resolve(client, token)).json()["shipments"] == []  # prepared is not shown
    await client.post(f"/shipments/{s['shipment_id']}/ship", json={"carrier": "UPS", "tracking_no": "1Z999AA10123456784"})
    found = (await resolve(client, token)).json()
    (parcel,) = found["shipments"]
    assert parcel["items"] == [{"sku": "CREAM-50", "quantity": "12", "unit": "pcs"}]
    assert parcel["carrier"] == "UPS" and parcel["tracking_url"] and parcel["status"] == "shipped"
    assert "B1" not in str(found) and "lot" not in str(found) and s["shipment_id"] not in str(found)


async def _all_sent(client, order_id: str, kind: str):
    found = await notes(client, order_id, kind)
    return found if found and all(n["status"] == "sent" for n in found) else None
