"""Event handlers: a shipped shop order becomes a fulfillment to report to its shop."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from channels.domain.fulfillment import fulfillment_line_items
from channels.tables import Fulfillment, ShopOrderRow
from contracts.events import Shipped
from eventkit import Context


async def on_shipped(ctx: Context, event: Shipped) -> None:
    """Orders that did not come from a shop (never accepted here) are not ours to report.
    One fulfillment per shipment: a replayed Shipped finds it and adds nothing. A shop order
    cancelled at the shop after it shipped is still reported: the parcel did leave."""
    row = (
        await ctx.session.execute(
            select(ShopOrderRow).where(ShopOrderRow.order_id == event.order_id, ShopOrderRow.accepted_at.is_not(None))
        )
    ).scalars().first()
    if row is None:
        return
    items = fulfillment_line_items([(li.line_no, li.quantity) for li in event.lines], row.lines or [])
    await ctx.session.execute(
        insert(Fulfillment)
        .values(
            fulfillment_id=uuid.uuid4(), shipment_id=event.shipment_id, order_id=event.order_id,
            channel=row.channel, shop=row.shop, external_id=row.external_id,
            tracking_number=event.tracking_no, tracking_company=event.carrier, tracking_url=event.tracking_url,
            complete=event.complete, line_items=items,
            status="pending", attempts=0, next_attempt_at=func.now(), created_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=["shipment_id"])
    )
