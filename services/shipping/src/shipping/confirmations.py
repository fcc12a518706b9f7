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
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shipping import repository as repo
from shipping import status_links
from shipping.domain.notification import ItemLine, confirmation_mail, dated_mail
from shipping.tables import Notification, OrderRecord

CONFIRMATION, DATED, ONCE = "confirmation", "dated", "order"


def _items(order: OrderRecord) -> list[ItemLine]:
    return [ItemLine(li["sku"], Decimal(str(li["quantity"])), li["unit"]) for li in order.lines or []]


async def _note(session: AsyncSession, order_id: str, kind: str) -> Notification | None:
    return (await session.execute(
        select(Notification).where(Notification.order_id == order_id, Notification.kind == kind,
                                   Notification.dedup_key == ONCE)
        .with_for_update().execution_options(populate_existing=True)
    )).scalars().first()


async def _insert(session: AsyncSession, order: OrderRecord, kind: str, subject: str, body: str,
                  delay: float = 0, secret: str | None = None) -> bool:
    inserted = await session.execute(
        insert(Notification).values(
            notification_id=uuid.uuid4(), order_id=order.order_id, shipment_id=None, kind=kind, dedup_key=ONCE,
            promised_date=order.promised_date, to_addr=order.recipient_email, subject=subject, body=body,
            status="pending", attempts=0, next_attempt_at=func.now() + timedelta(seconds=delay),
            created_at=func.now(), secret=secret,
        )
        .on_conflict_do_nothing(index_elements=["order_id", "kind", "dedup_key"],
                                index_where=Notification.dedup_key.is_not(None))
        .returning(Notification.notification_id)
    )
    return inserted.first() is not None


async def confirm(session: AsyncSession, order: OrderRecord, wait: float) -> None:
    """At OrderPlaced (the order row locked, recipient and lines known): queue the
    confirmation once, with a new status link. Held `wait` seconds when undated."""
    if order.cancelled_at is not None or not order.recipient_email:
        return
    if await _note(session, order.order_id, CONFIRMATION) is not None:
        return  # redelivered OrderPlaced: confirmed already (its link stays the same)
    subject, body = confirmation_mail(repo.recipient(order), _items(order), order.promised_date)
    token = await status_links.issue(session, order.order_id)
    await _insert(session, order, CONFIRMATION, subject, body, delay=0 if order.promised_date else wait, secret=token)


async def dated(session: AsyncSession, order: OrderRecord, promised: date) -> None:
    """The order's first date is known (the order row locked, `promised_date` just kept). A
    confirmation still waiting gets it and leaves now; one that already left said the date
    follows, so the date goes in its own mail (once)."""
    note = await _note(session, order.order_id, CONFIRMATION)
    if note is None or order.cancelled_at is not None:
        return  # OrderPlaced not here yet: the confirmation will be written with the date
    if note.status != "sent":
        if note.promised_date is None:
            subject, body = confirmation_mail(repo.recipient(order), _items(order), promised)
            await session.execute(
                update(Notification).where(Notification.notification_id == note.notification_id)
                .values(subject=subject, body=body, promised_date=promised, next_attempt_at=func.now())
            )
        return
    if note.promised_date is None:
        subject, body = dated_mail(repo.recipient(order), promised)
        await _insert(session, order, DATED, subject, body)
