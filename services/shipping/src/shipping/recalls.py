"""Holds and recalls as shipping sees them (events from inventory, which owns both):
- LotHeld / LotReleased: the lot's hold state, newest `hold_seq` wins. A prepared shipment
  carrying a held lot is blocked (shown `blocked`, refused at ship) - derived at read time,
  so it unblocks by itself when the hold ends or the shipment's lines move to other lots.
- RecallOpened: every customer who received goods of the recalled lots is e-mailed once
  (unique per order and recall), with what, when and in which parcel: shipping knows its
  shipments and recipients. A recipient not known yet: the mail waits like the others."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import LotHeld, LotReleased, RecallOpened
from eventkit import Context
from shipping import repository as repo
from shipping.domain.notification import RecalledItem, recall_mail
from shipping.shipment_views import hold_reasons
from shipping.tables import HeldLot, Notification, Shipment

KIND = "recall"


async def on_lot_held(ctx: Context, event: LotHeld) -> None:
    await _remember(ctx.session, event.lot_id, event.lot_no, event.sku, True, event.reason, event.recall_id, event.hold_seq)


async def on_lot_released(ctx: Context, event: LotReleased) -> None:
    await _remember(ctx.session, event.lot_id, event.lot_no, event.sku, False, event.reason, event.recall_id, event.hold_seq)


async def _remember(session: AsyncSession, lot_id: str, lot_no: str, sku: str, held: bool, reason: str,
                    recall_id: str | None, hold_seq: int) -> None:
    values = dict(lot_no=lot_no, sku=sku, held=held, reason=reason, recall_id=recall_id, hold_seq=hold_seq,
                  updated_at=func.now())
    stmt = insert(HeldLot).values(lot_id=lot_id, **values)
    # An older state (replayed, or overtaken on the other topic) changes nothing.
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["lot_id"], set_=values, where=HeldLot.hold_seq < stmt.excluded.hold_seq))


# Worded once, in SQL (`shipment_views.hold_reasons`): the lists and the ship command read it
# in their own statements.
_HOLDS_OF = text(f"SELECT s.id, {hold_reasons('s.id')} FROM unnest(CAST(:ids AS uuid[])) AS s(id)")


async def holds_of(session: AsyncSession, shipment_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Per shipment, why it is blocked: one phrase per held lot it carries."""
    if not shipment_ids:
        return {}
    return {i: list(h) for i, h in await session.execute(_HOLDS_OF, {"ids": list(shipment_ids)})}


async def on_recall_opened(ctx: Context, event: RecallOpened) -> None:
    session = ctx.session
    for customer in event.customers:
        order = await repo.lock_order(session, customer.order_id)
        shipments = {
            str(s.shipment_id): s
            for s in (await session.execute(select(Shipment).where(Shipment.order_id == customer.order_id))).scalars()
        }
        items = []
        for goods in customer.goods:
            parcel = shipments.get(goods.shipment_id or "")
            items.append(RecalledItem(
                sku=goods.sku, quantity=Decimal(goods.quantity), unit=goods.unit.value, lot_no=goods.lot_no,
                shipped_on=parcel.shipped_at.date() if parcel and parcel.shipped_at else None,
                carrier=parcel.carrier if parcel else None, tracking_no=parcel.tracking_no if parcel else None,
            ))
        to = repo.recipient(order)
        subject, body = recall_mail(replace(to, order_no=to.order_no or customer.order_no), event.reason, items)
        to_addr = order.recipient_email
        await session.execute(
            insert(Notification)
            .values(
                notification_id=uuid.uuid4(), order_id=customer.order_id, shipment_id=None, kind=KIND,
                dedup_key=event.recall_id, to_addr=to_addr, subject=subject, body=body,
                status="pending" if to_addr else "waiting_recipient", attempts=0, next_attempt_at=func.now(),
                created_at=func.now(),
            )
            .on_conflict_do_nothing(index_elements=["order_id", "kind", "dedup_key"],
                                    index_where=Notification.dedup_key.is_not(None))
        )
