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
from shipping.domain.notification import ItemLine, confirmation_mail, dated_mail
from shipping.tables import OrderRecord

CONFIRMATION, DATED, ONCE = "confirmation", "dated", "order"

# Built once: they run for nearly every order (see order_rows.py for why).
_NOTE = text(
    "SELECT notification_id, status, promised_date FROM notifications "
    "WHERE order_id = :order_id AND kind = :kind AND dedup_key = 'order' FOR UPDATE"
)
_INSERT = text(
    "INSERT INTO notifications (notification_id, order_id, shipment_id, kind, dedup_key, promised_date, to_addr, "
    "subject, body, status, attempts, next_attempt_at, created_at, secret) "
    "VALUES (:notification_id, :order_id, NULL, :kind, 'order', :promised_date, :to_addr, :subject, :body, 'pending', "
    "0, now() + make_interval(secs => :delay), now(), :secret) "
    "ON CONFLICT (order_id, kind, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING RETURNING notification_id"
)
_DATE_IT = text(
    "UPDATE notifications SET subject = :subject, body = :body, promised_date = :promised_date, "
    "next_attempt_at = now() WHERE notification_id = :id"
)

Order = OrderRecord | Row  # the order's row as the handlers read it (order_rows.py)


def _items(order: Order) -> list[ItemLine]:
    return [ItemLine(li["sku"], Decimal(str(li["quantity"])), li["unit"]) for li in order.lines or []]


async def _note(session: AsyncSession, order_id: str, kind: str) -> Row | None:
    return (await session.execute(_NOTE, {"order_id": order_id, "kind": kind})).first()


async def _insert(session: AsyncSession, order: Order, kind: str, subject: str, body: str,
                  delay: float = 0, secret: str | None = None) -> bool:
    inserted = await session.execute(_INSERT, {
        "notification_id": uuid.uuid4(), "order_id": order.order_id, "kind": kind,
        "promised_date": order.promised_date, "to_addr": order.recipient_email, "subject": subject, "body": body,
        "delay": float(delay), "secret": secret,
    })
    return inserted.first() is not None


async def confirm(session: AsyncSession, order: Order, wait: float, confirmed: bool | None = None) -> None:
    """At OrderPlaced (the order row locked, recipient and lines known): queue the
    confirmation once, with a new status link. Held `wait` seconds when undated.
    `confirmed`: whether the order has its confirmation already, when the caller looked."""
    if order.cancelled_at is not None or not order.recipient_email:
        return
    if confirmed is None:
        confirmed = await _note(session, order.order_id, CONFIRMATION) is not None
    if confirmed:
        return  # redelivered OrderPlaced: confirmed already (its link stays the same)
    subject, body = confirmation_mail(repo.recipient(order), _items(order), order.promised_date)
    token, _ = await status_links.issue(session, order.order_id)
    await _insert(session, order, CONFIRMATION, subject, body, delay=0 if order.promised_date else wait, secret=token)


async def dated(session: AsyncSession, order: Order, promised: date) -> None:
    """The order's first date is known (the order row locked, `promised_date` just kept). A
    confirmation still waiting gets it and leaves now; one that already left said the date
    follows, so the date goes in its own mail (once)."""
    note = await _note(session, order.order_id, CONFIRMATION)
    if note is None or order.cancelled_at is not None:
        return  # OrderPlaced not here yet: the confirmation will be written with the date
    if note.status != "sent":
        if note.promised_date is None:
            subject, body = confirmation_mail(repo.recipient(order), _items(order), promised)
            await session.execute(_DATE_IT, {"id": note.notification_id, "subject": subject, "body": body,
                                             "promised_date": promised})
        return
    if note.promised_date is None:
        subject, body = dated_mail(repo.recipient(order), promised)
        await _insert(session, order, DATED, subject, body)
