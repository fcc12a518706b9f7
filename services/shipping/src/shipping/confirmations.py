"""The order confirmation and its date.

The confirmation says what was ordered, the date we ship by and carries the private status
link. The date is known when orders first dates the order (the first PromiseChanged; its
`promised_date` never changes after), usually a moment after OrderPlaced, and the two
travel on different topics. So the confirmation is written at OrderPlaced but held for
`confirmation_wait` seconds (next_attempt_at): if the date arrives meanwhile (or arrived
first) it is written in and the mail leaves at once; otherwise it leaves saying that the
date follows, and the first date is mailed later by itself (kind `dated`). An order that
can never be dated (unknown item, no recipe) thus still gets its confirmation within the
wait. Each mail once per order (unique order/kind/dedup_key 'order')."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from shipping import repository as repo
from shipping import status_links
from shipping.domain.notification import ItemLine, confirmation_mail, dated_mail, without_status_link
from shipping.tables import OrderRecord

CONFIRMATION, DATED, ONCE = "confirmation", "dated", "order"

# Built once: they run for nearly every order (see order_rows.py for why).

# OrderPlaced's look at the order's mails, locked: those waiting for the recipient, and the
# order confirmation if there is one.
_PLACEMENT_MAILS = (
    "SELECT notification_id, kind, dedup_key, shipment_id, status, promised_date, expected_date, subject, body "
    "FROM notifications WHERE order_id = :order_id "
    "AND (status = 'waiting_recipient' OR (kind = 'confirmation' AND dedup_key = 'order')) FOR UPDATE"
)
_MAILS_ON_PLACEMENT = text(_PLACEMENT_MAILS)
# The same look, and the confirmation queued with a new status link unless the look found one,
# in one statement. `mails` runs first (the main query reads it); the writes, read by nobody,
# run after it, each only when `unconfirmed` has its row; `issued` reads `revoked`, so the live
# link is revoked before the new one is inserted (one live link per order).
_CONFIRM_ONCE = text(
    f"WITH mails AS MATERIALIZED ({_PLACEMENT_MAILS}), "
    "unconfirmed AS MATERIALIZED (SELECT WHERE NOT EXISTS "
    "(SELECT FROM mails WHERE kind = 'confirmation' AND dedup_key = 'order')), "
    "revoked AS (UPDATE status_links SET revoked_at = now() WHERE order_id = :order_id AND revoked_at IS NULL "
    "AND EXISTS (SELECT FROM unconfirmed) RETURNING link_id), "
    "issued AS (INSERT INTO status_links (link_id, order_id, token_hash, created_at) "
    "SELECT CAST(:link_id AS uuid), :order_id, :token_hash, now() FROM unconfirmed "
    "WHERE (SELECT count(*) FROM revoked) >= 0), "
    "confirmation AS (INSERT INTO notifications (notification_id, order_id, shipment_id, kind, dedup_key, "
    "promised_date, to_addr, subject, body, status, attempts, next_attempt_at, created_at, secret) "
    "SELECT CAST(:notification_id AS uuid), :order_id, NULL, 'confirmation', 'order', CAST(:promised_date AS date), "
    ":to_addr, :subject, :body, 'pending', 0, now() + make_interval(secs => :delay), now(), :secret FROM unconfirmed "
    "ON CONFLICT (order_id, kind, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING) "
    "SELECT notification_id, kind, dedup_key, shipment_id, status, promised_date, expected_date, subject, body "
    "FROM mails"
)
_INSERT = text(
    "INSERT INTO notifications (notification_id, order_id, shipment_id, kind, dedup_key, promised_date, to_addr, "
    "subject, body, status, attempts, next_attempt_at, created_at, secret) "
    "VALUES (:notification_id, :order_id, NULL, :kind, 'order', :promised_date, :to_addr, :subject, :body, 'pending', "
    "0, now() + make_interval(secs => :delay), now(), :secret) "
    "ON CONFLICT (order_id, kind, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING RETURNING notification_id"
)
# The first date: the order's confirmation, locked, and written into it when it still waits
# for it (not sent, undated), in one statement (the UPDATE, read by nobody, runs after `note`).
# A confirmation not sent and without its link's token had the link withdrawn (status_links):
# it is written again without the link.
_DATE_CONFIRMATION = text(
    "WITH note AS MATERIALIZED (SELECT notification_id, status, promised_date FROM notifications "
    "WHERE order_id = :order_id AND kind = 'confirmation' AND dedup_key = 'order' FOR UPDATE), "
    "dated AS (UPDATE notifications n SET subject = :subject, "
    "body = CASE WHEN n.secret IS NULL THEN :body_withdrawn ELSE :body END, promised_date = :promised_date, "
    "next_attempt_at = now() FROM note WHERE n.notification_id = note.notification_id "
    "AND note.status <> 'sent' AND note.promised_date IS NULL) "
    "SELECT notification_id, status, promised_date FROM note"
)

Order = OrderRecord | Row  # the order's row as the handlers read it (order_rows.py)


def _items(order: Order) -> list[ItemLine]:
    return [ItemLine(li["sku"], Decimal(str(li["quantity"])), li["unit"]) for li in order.lines or []]


async def _insert(session: AsyncSession, order: Order, kind: str, subject: str, body: str,
                  delay: float = 0, secret: str | None = None) -> bool:
    inserted = await session.execute(_INSERT, {
        "notification_id": uuid.uuid4(), "order_id": order.order_id, "kind": kind,
        "promised_date": order.promised_date, "to_addr": order.recipient_email, "subject": subject, "body": body,
        "delay": float(delay), "secret": secret,
    })
    return inserted.first() is not None


async def confirm(session: AsyncSession, order: Order, wait: float) -> list[Row]:
    """At OrderPlaced (the order row locked, recipient and lines known): queue the
    confirmation once, with a new status link. Held `wait` seconds when undated. Returns the
    order's mails that waited for the recipient (locked), for the caller to release."""
    if order.cancelled_at is not None or not order.recipient_email:
        mails = await session.execute(_MAILS_ON_PLACEMENT, {"order_id": order.order_id})
    else:
        # Written whether or not it will be needed: a redelivered OrderPlaced finds its
        # confirmation (its link stays the same) and the statement writes nothing.
        subject, body = confirmation_mail(repo.recipient(order), _items(order), order.promised_date)
        token = status_links.new_token()
        mails = await session.execute(_CONFIRM_ONCE, {
            "order_id": order.order_id, "link_id": uuid.uuid4(), "token_hash": status_links.token_hash(token),
            "notification_id": uuid.uuid4(), "promised_date": order.promised_date, "to_addr": order.recipient_email,
            "subject": subject, "body": body, "delay": float(0 if order.promised_date else wait), "secret": token,
        })
    return [note for note in mails if note.status == "waiting_recipient"]


async def dated(session: AsyncSession, order: Order, promised: date) -> None:
    """The order's first date is known (the order row locked, `promised_date` just kept). A
    confirmation still waiting gets it and leaves now; one that already left said the date
    follows, so the date goes in its own mail (once)."""
    if order.cancelled_at is not None:
        return
    to = repo.recipient(order)
    subject, body = confirmation_mail(to, _items(order), promised)
    note = (await session.execute(_DATE_CONFIRMATION, {
        "order_id": order.order_id, "subject": subject, "body": body,
        "body_withdrawn": without_status_link(body, to), "promised_date": promised})).first()
    if note is None or note.status != "sent" or note.promised_date is not None:
        return  # OrderPlaced not here yet (the confirmation will be written with the date), or dated now
    subject, body = dated_mail(repo.recipient(order), promised)
    await _insert(session, order, DATED, subject, body)
