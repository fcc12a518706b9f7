"""Event handlers: a shipped channel order becomes a fulfillment to sync back to its shop."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from channels.domain.fulfillment import fulfillment_line_items
from channels.tables import Fulfillment, Webhook
from contracts.events import Shipped
from eventkit import Context


async def on_shipped(ctx: Context, event: Shipped) -> None:
    """Orders that did not come from a shop (no accepted webhook) are not ours to sync.
    One fulfillment per shipment: a replayed Shipped finds it and adds nothing."""
    hook = (
        await ctx.session.execute(
            select(Webhook).where(Webhook.order_id == event.order_id, Webhook.status == "accepted")
        )
    ).scalars().first()
    if hook is None:
        return
    items = fulfillment_line_items([(li.line_no, li.quantity) for li in event.lines], hook.lines or [])
    await ctx.session.execute(
        insert(Fulfillment)
        .values(
            fulfillment_id=uuid.uuid4(), shipment_id=event.shipment_id, order_id=event.order_id,
            channel=hook.channel, shop=hook.shop, external_id=hook.external_id,
            tracking_number=event.tracking_no, tracking_company=event.carrier, line_items=items,
            status="pending", attempts=0, next_attempt_at=func.now(), created_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=["shipment_id"])
    )
