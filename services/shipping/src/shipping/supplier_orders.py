"""Purchase orders mailed to suppliers through the customers' notification path
(`notifications` + the sender): one mailer with its retries, `failed` state, retry by hand
and mail catcher, rather than a second copy in purchasing. A supplier mail belongs to no
order or shipment: `order_id` holds the purchase order id, `kind` is `purchase_order`, and
the unique (order_id, kind, dedup_key) index sends it once whatever the redeliveries."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert

from contracts.events import PurchaseOrderPlaced
from eventkit import Context
from shipping.domain.supplier_mail import purchase_order_mail
from shipping.tables import Notification

KIND = "purchase_order"


async def on_purchase_order_placed(ctx: Context, event: PurchaseOrderPlaced) -> None:
    if not event.supplier_email:
        return  # the buyer tells this supplier otherwise (phone, portal): nothing to mail
    subject, body = purchase_order_mail(event)
    await ctx.session.execute(
        insert(Notification)
        .values(
            notification_id=uuid.uuid4(), order_id=event.purchase_order_id, shipment_id=None, kind=KIND,
            dedup_key=event.po_no, to_addr=event.supplier_email, subject=subject, body=body, status="pending",
            attempts=0, next_attempt_at=func.now(), created_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=["order_id", "kind", "dedup_key"],
                                index_where=Notification.dedup_key.is_not(None))
    )
