"""The catalog at the door: orders' replica of inventory's items (ItemDefined, newest
revision wins), the checks an order's lines must pass before it is placed, and the review
list where a channel order that fails them waits for a person instead of being lost or
placed. A gateway order that fails them is refused (422) and nothing is created."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import events as ev
from eventkit import Context
from orders.domain.catalog_rules import CatalogEntry, Line, order_problems

log = logging.getLogger("orders.catalog")


async def on_item_defined(ctx: Context, event: ev.ItemDefined) -> None:
    await ctx.session.execute(
        text(
            "INSERT INTO catalog_items (sku, name, kind, base_unit, sellable, max_order_quantity, active, revision) "
            "VALUES (:sku, :name, :kind, :unit, :sellable, :bound, :active, :rev) "
            "ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, base_unit = EXCLUDED.base_unit, "
            "sellable = EXCLUDED.sellable, max_order_quantity = EXCLUDED.max_order_quantity, active = EXCLUDED.active, "
            "revision = EXCLUDED.revision, updated_at = now() WHERE catalog_items.revision < EXCLUDED.revision"
        ),
        {"sku": event.sku, "name": event.name, "kind": event.kind, "unit": event.base_unit.value,
         "sellable": event.sellable, "bound": event.max_order_quantity, "active": event.active, "rev": event.revision},
    )


async def entries(session: AsyncSession, skus: Iterable[str]) -> dict[str, CatalogEntry]:
    rows = await session.execute(
        text("SELECT sku, kind, base_unit, sellable, max_order_quantity, active FROM catalog_items WHERE sku = ANY(:s)"),
        {"s": sorted(set(skus))},
    )
    return {r.sku: CatalogEntry(r.sku, r.kind, r.base_unit, r.sellable, r.max_order_quantity, r.active) for r in rows}


async def catalog_item(session: AsyncSession, sku: str) -> dict | None:
    row = (await session.execute(
        text("SELECT sku, name, kind, base_unit, sellable, max_order_quantity, active, revision, updated_at "
             "FROM catalog_items WHERE sku = :sku"), {"sku": sku})).first()
    return dict(row._mapping) if row else None


async def look_alikes(session: AsyncSession, unknown: Iterable[str]) -> dict[str, str]:
    """For SKUs not in the catalog, the catalog's SKU that differs only in case or surrounding
    spaces ("lip-balm-15g " -> "LIP-BALM-15G"), to suggest it. Only asked when a SKU is unknown."""
    wanted = {sku.strip().upper(): sku for sku in unknown}
    if not wanted:
        return {}
    rows = await session.execute(
        text("SELECT sku, upper(sku) AS folded FROM catalog_items WHERE upper(sku) = ANY(:u) ORDER BY sku"),
        {"u": sorted(wanted)},
    )
    return {wanted[r.folded]: r.sku for r in rows}


async def check_lines(session: AsyncSession, lines: Iterable, global_max: Decimal) -> list[str]:
    """The reasons `lines` (anything with line_no, sku, quantity, unit) may not be ordered."""
    found = [Line(ln.line_no, ln.sku, Decimal(ln.quantity), str(getattr(ln.unit, "value", ln.unit))) for ln in lines]
    catalog = await entries(session, [ln.sku for ln in found])
    suggestions = await look_alikes(session, {ln.sku for ln in found if ln.sku not in catalog})
    return order_problems(found, catalog, global_max, suggestions)


async def held_for_review(ctx: Context, event: ev.ChannelOrderReceived, global_max: Decimal) -> bool:
    """A channel order failing the checks goes to the review list (once per order id) and is
    not placed. An order already placed under this id is left to placement (a redelivery)."""
    session = ctx.session
    if (await session.execute(text("SELECT 1 FROM orders WHERE order_id = :o"), {"o": event.order_id})).first():
        return False
    reasons = await check_lines(session, event.lines, global_max)
    if not reasons:
        return False
    await session.execute(
        text(
            "INSERT INTO review_orders (order_id, channel, shop, channel_order_ref, customer_name, reasons, received, "
            "event_id, received_at) VALUES (:o, :channel, :shop, :ref, :name, CAST(:reasons AS jsonb), "
            "CAST(:received AS jsonb), :eid, :at) ON CONFLICT (order_id) DO NOTHING"
        ),
        {"o": event.order_id, "channel": event.channel, "shop": event.shop, "ref": event.external_order_id,
         "name": event.customer.name, "reasons": json.dumps(reasons), "received": event.model_dump_json(),
         "eid": ctx.envelope.event_id if ctx.envelope else None, "at": event.received_at},
    )
    log.warning("channel order %s (%s) needs review: %s", event.external_order_id, event.channel, "; ".join(reasons))
    return True


async def review_list(session: AsyncSession, limit: int, offset: int) -> dict:
    total = (await session.execute(text("SELECT count(*) FROM review_orders"))).scalar_one()
    rows = await session.execute(
        text("SELECT order_id, status, channel, shop, channel_order_ref, customer_name, reasons, received, received_at, "
             "recorded_at FROM review_orders ORDER BY recorded_at DESC, order_id LIMIT :l OFFSET :o"),
        {"l": limit, "o": offset},
    )
    items = [{**dict(r._mapping), "lines": r.received.get("lines", [])} for r in rows]
    for item in items:
        item.pop("received")
    return {"items": items, "total": total, "limit": limit, "offset": offset}
