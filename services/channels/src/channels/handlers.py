"""Event handlers: a shipped shop order becomes a fulfillment to report to its shop; an item
defined in our catalog is kept in channels' replica and releases the shop orders parked on its SKU."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from channels import catalog
from channels.domain.fulfillment import fulfillment_line_items
from channels.domain.sku_mapping import CatalogItem
from channels.intake import retry_parked
from channels.tables import Fulfillment, ShopOrderRow
from contracts.events import ItemDefined, Shipped
from eventkit import Context, serialized_by


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


@serialized_by(lambda event: catalog.CATALOG_LOCK)
async def on_item_defined(ctx: Context, event: ItemDefined) -> None:
    """Keep the item unless a newer revision is kept already (an older or repeated revision
    changes nothing, whatever its event id). An item a shop line may now name by its SKU (active,
    sellable, finished, in pcs) releases the orders parked in needs_mapping on that SKU, the way
    an operator's mapping does. Holds the catalog lock exclusively (taken with the inbox claim):
    intake, which reads the catalog under it shared, either saw this item or parked its order
    before this handler looks for parked orders."""
    if not await catalog.upsert(ctx.session, event):
        return
    item = CatalogItem(event.sku, event.kind, event.base_unit.value, event.sellable, event.active)
    if item.why_not_by_the_piece() is None:
        await retry_parked(ctx, statuses=("needs_mapping",), sku=event.sku)
