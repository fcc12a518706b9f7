"""Intake: one version of a shop order in, at most one ChannelOrderReceived (and, later, at
most one ChannelOrderCancelled) out.

Runs in the caller's transaction (a webhook request, a fetch, a reconciliation pass, an
operator's retry). The `shop_orders` row is the inbox: unique per (channel, shop, platform
order id) and locked while a version is applied, so concurrent deliveries of one order
serialize. Versions are judged by the platform's updated_at, never by arrival order: an
older version than the one kept changes nothing.

What becomes of a version (the row's status):
- the order already lives downstream (accepted): a cancellation or full refund emits
  ChannelOrderCancelled once (orders applies it, or flags it if goods left); other changes
  are recorded and flagged for the operator (`attention`), not applied;
- cancelled before we ever accepted it: `cancelled`, no order is ever made;
- `test` / `awaiting_payment`: recorded, waits (per the connector's rules);
- `needs_mapping`: a line is neither mapped, nor not-goods by rule, nor one of our finished
  goods by its SKU; waits for the operator's mapping or for the item to be defined in our
  catalog, then proceeds by itself (`retry_parked`); `needs_review`: unusable (no valid e-mail...);
- `no_goods`: nothing on it that we make (only a gift card...);
- `accepted`: ChannelOrderReceived emitted."""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from channels import catalog
from channels.domain.channels import order_id_for
from channels.domain.intake_rules import IntakeRules
from channels.domain.shop_orders import Address, PayloadError, ShopOrder
from channels.domain.sku_mapping import Mapped, Mapping, MappedLine, SkuTarget, catalog_key, map_lines
from channels.platforms import platform_for
from channels.tables import Connector, Fulfillment, ShopOrderRow, SkuMapEntry
from contracts.events import ChannelOrderCancelled, ChannelOrderReceived
from contracts.events.base import Customer, OrderLine, PostalAddress, ShopDetails, ShopLinePrice
from eventkit import Context

log = logging.getLogger("channels.intake")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Statuses an operator's fix (a mapping, a retry) may move on.
PARKED = ("needs_mapping", "needs_review")


@dataclass(frozen=True)
class Outcome:
    status: str  # a shop order status, or "stale" (an older version than the one kept)
    shop_order_id: uuid.UUID
    order_id: str
    reason: str | None = None


async def load_mapping(session, channel: str, shop: str) -> Mapping:
    rows = (
        await session.execute(select(SkuMapEntry).where(SkuMapEntry.channel == channel, SkuMapEntry.shop == shop))
    ).scalars()
    return {(r.match_on, r.external_sku): SkuTarget(r.sku, r.unit, r.per_item, r.ignore) for r in rows}


async def map_order(ctx: Context, connector: Connector, order: ShopOrder, rules: IntakeRules) -> Mapped:
    """The order's lines through the shop's mapping, its rules and our catalog (read under
    the catalog lock; see channels.catalog)."""
    await catalog.hold_for_intake(ctx)
    catalog_items = await catalog.items_named(ctx.session, (li.external_sku for li in order.lines))
    mapping = await load_mapping(ctx.session, connector.channel, connector.shop)
    return map_lines(order.lines, mapping, rules, catalog_items)


async def apply_version(ctx: Context, connector: Connector, order: ShopOrder, raw: bytes, source: str) -> Outcome:
    """Keep this version of the order if it is not older than the one kept, and decide."""
    s = ctx.session
    channel, shop = connector.channel, connector.shop
    order_id = order_id_for(channel, shop, order.external_id)
    await catalog.hold_for_intake(ctx)  # before the row lock, the order in which ItemDefined takes both
    await s.execute(
        insert(ShopOrderRow)
        .values(shop_order_id=uuid.uuid4(), channel=channel, shop=shop, external_id=order.external_id,
                order_id=order_id, status="received", raw_body=raw, received_at=func.now(), deliveries=0,
                source=source, updated_at=func.now())
        .on_conflict_do_nothing(index_elements=["channel", "shop", "external_id"])
    )
    row = await _locked(s, channel, shop, order.external_id)
    kept = row.platform_updated_at
    if kept is not None and order.updated_at is not None and order.updated_at < kept:
        await s.execute(update(ShopOrderRow).where(ShopOrderRow.shop_order_id == row.shop_order_id)
                        .values(deliveries=ShopOrderRow.deliveries + 1))
        return Outcome("stale", row.shop_order_id, order_id, f"older than the version of {kept.isoformat()} kept")
    same_version = kept is not None and order.updated_at == kept and row.status != "received"
    if same_version and row.status not in PARKED:
        # A redelivery of the version already decided (webhook retry, reconciliation overlap).
        await s.execute(update(ShopOrderRow).where(ShopOrderRow.shop_order_id == row.shop_order_id)
                        .values(deliveries=ShopOrderRow.deliveries + 1))
        return Outcome(row.status, row.shop_order_id, order_id, row.reason)
    await s.execute(
        update(ShopOrderRow).where(ShopOrderRow.shop_order_id == row.shop_order_id)
        .values(raw_body=raw, platform_updated_at=order.updated_at or kept, reference=order.reference,
                platform_status=order.status, deliveries=ShopOrderRow.deliveries + 1, source=source,
                updated_at=func.now())
    )
    await s.refresh(row)
    return await decide(ctx, connector, row, order)


async def retry_parked(ctx: Context, connector: Connector | None = None, statuses: tuple[str, ...] = PARKED,
                       sku: str | None = None) -> list[Outcome]:
    """Decide again every parked order of the connector (of every connector if None) in
    `statuses`, oldest first; with `sku`, only orders parked on a line with that SKU (any case)
    or parked before their SKUs were recorded. How an operator's mapping and an item newly
    defined in our catalog release the orders that waited for them."""
    await catalog.hold_for_intake(ctx)
    stmt = select(ShopOrderRow).where(ShopOrderRow.status.in_(statuses))
    if connector is not None:
        stmt = stmt.where(ShopOrderRow.channel == connector.channel, ShopOrderRow.shop == connector.shop)
    if sku is not None:
        stmt = stmt.where(or_(ShopOrderRow.unmapped_skus.is_(None), ShopOrderRow.unmapped_skus.contains([catalog_key(sku)])))
    rows = (await ctx.session.execute(
        stmt.order_by(ShopOrderRow.received_at, ShopOrderRow.shop_order_id).with_for_update()
        .execution_options(populate_existing=True))).scalars().all()
    connectors = {(connector.channel, connector.shop): connector} if connector is not None else {}
    outcomes = []
    for row in rows:
        key = (row.channel, row.shop)
        if key not in connectors:
            connectors[key] = await ctx.session.get(Connector, key)
        if connectors[key] is not None:  # a deleted connector's orders stay as history
            outcomes.append(await retry(ctx, connectors[key], row))
    return outcomes


async def retry(ctx: Context, connector: Connector, row: ShopOrderRow) -> Outcome:
    """Decide again from the version kept (after the operator mapped a line or fixed data).
    The caller holds the row's lock, taken after `catalog.hold_for_intake`."""
    try:
        order = platform_for(connector.channel).parse_order(json.loads(row.raw_body))
    except PayloadError as exc:
        return await _set(ctx, row, "needs_review", str(exc))
    return await decide(ctx, connector, row, order)


async def decide(ctx: Context, connector: Connector, row: ShopOrderRow, order: ShopOrder) -> Outcome:
    rules = IntakeRules.from_json(connector.rules)
    gone = order.cancelled or order.refunded
    if row.accepted_at is not None:
        return await _after_acceptance(ctx, connector, row, order, rules, gone)
    if gone:
        return await _set(ctx, row, "cancelled", None, cancelled_at=order.updated_at or datetime.now(timezone.utc))
    if (wait := rules.waits(order)) is not None:
        return await _set(ctx, row, wait, None)
    mapped = await map_order(ctx, connector, order, rules)
    if mapped.unmapped:
        return await _set(ctx, row, "needs_mapping", mapped.reason(), unmapped_skus=mapped.unmapped_skus())
    if not mapped.goods:
        return await _set(ctx, row, "no_goods", None)
    email = (order.email or "").strip()
    if not email and connector.channel == "etsy":
        # Etsy withholds buyer e-mails from most apps (since 2024): the order is still made
        # and shipped; mail to this reserved address fails visibly instead of reaching anyone.
        email = f"receipt-{order.external_id}@etsy-buyer.invalid"
        order = replace(order, email=email)
    if not _EMAIL.match(email):
        return await _set(ctx, row, "needs_review", f"order has no valid customer e-mail ({email!r})")
    try:
        event = received_event(connector, order, mapped, row.order_id)
    except ValidationError as exc:
        err = exc.errors()[0]
        return await _set(ctx, row, "needs_review", f"order does not fit: {'.'.join(map(str, err['loc']))}: {err['msg']}")
    await ctx.emit(event, correlation_id=row.order_id)
    await ctx.session.execute(
        update(ShopOrderRow).where(ShopOrderRow.shop_order_id == row.shop_order_id)
        .values(status="accepted", reason=None, lines=_refs(mapped.goods), accepted_at=func.now(), updated_at=func.now())
    )
    return Outcome("accepted", row.shop_order_id, row.order_id)


async def _after_acceptance(ctx: Context, connector: Connector, row: ShopOrderRow, order: ShopOrder,
                            rules: IntakeRules, gone: bool) -> Outcome:
    if gone:
        if row.cancelled_at is not None:
            return Outcome(row.status, row.shop_order_id, row.order_id)
        at = order.updated_at or datetime.now(timezone.utc)
        why = "refunded" if order.refunded and not order.cancelled else "cancelled"
        await ctx.emit(ChannelOrderCancelled(
            order_id=row.order_id, channel=connector.channel, shop=connector.shop, external_order_id=order.external_id,
            reason=f"{why} at the shop" + (f" ({order.status})" if order.status else ""), cancelled_at=at,
        ), correlation_id=row.order_id)
        shipped = await ctx.session.scalar(select(func.count()).select_from(Fulfillment)
                                           .where(Fulfillment.order_id == row.order_id))
        attention = (f"{why} at the shop on {at.date().isoformat()} after {shipped} shipment(s) left: "
                     "not undone; settle refund or return") if shipped else None
        return await _set(ctx, row, "cancelled", None, cancelled_at=at, attention=attention)
    mapped = await map_order(ctx, connector, order, rules)
    now_lines = sorted((li["line_no"], li["sku"], str(li["quantity"])) for li in _refs(mapped.goods))
    was = sorted((li["line_no"], li["sku"], str(li.get("quantity"))) for li in row.lines or [])
    if was and all("quantity" in li for li in row.lines) and now_lines != was:
        note = "lines changed at the shop after the order was accepted; not applied: adjust by hand or cancel"
        await ctx.session.execute(update(ShopOrderRow).where(ShopOrderRow.shop_order_id == row.shop_order_id)
                                  .values(attention=note))
        return Outcome("accepted", row.shop_order_id, row.order_id, note)
    return Outcome("accepted", row.shop_order_id, row.order_id)


async def _set(ctx: Context, row: ShopOrderRow, status: str, reason: str | None, **values: Any) -> Outcome:
    await ctx.session.execute(
        update(ShopOrderRow).where(ShopOrderRow.shop_order_id == row.shop_order_id)
        .values(status=status, reason=reason, updated_at=func.now(), **values)
    )
    return Outcome(status, row.shop_order_id, row.order_id, reason)


async def _locked(session, channel: str, shop: str, external_id: str) -> ShopOrderRow:
    stmt = (select(ShopOrderRow)
            .where(ShopOrderRow.channel == channel, ShopOrderRow.shop == shop, ShopOrderRow.external_id == external_id)
            .with_for_update().execution_options(populate_existing=True))
    return (await session.execute(stmt)).scalars().one()


def _refs(lines: list[MappedLine]) -> list[dict[str, Any]]:
    return [
        dict(line_no=li.line_no, external_line_id=li.external_line_id, external_sku=li.external_sku,
             sku=li.sku, per_item=str(li.per_item), quantity=str(li.quantity), matched_on=li.matched_on)
        for li in lines
    ]


# -- the event ------------------------------------------------------------------------------
def _postal(a: Address | None) -> PostalAddress | None:
    if a is None:
        return None
    return PostalAddress(name=_cut(a.name, 200), company=_cut(a.company, 200), address1=_cut(a.address1, 200),
                         address2=_cut(a.address2, 200), city=_cut(a.city, 200), zip=_cut(a.zip, 20),
                         province=_cut(a.province, 200), country=a.country, phone=_cut(a.phone, 50))


def _cut(text: str | None, n: int) -> str | None:
    return text[:n] if text else None


def received_event(connector: Connector, order: ShopOrder, mapped: Mapped, order_id: str) -> ChannelOrderReceived:
    ship_to = order.ship_to or order.billing
    name = order.customer_name or (order.billing.name if order.billing else None) or (ship_to.name if ship_to else None)
    customer = Customer(
        name=(name or order.email or "")[:200], email=order.email.strip(), phone=_cut(order.phone, 50),
        address=ship_to.one_line() if ship_to else None, country=ship_to.country if ship_to else None,
    )
    details = ShopDetails(
        shop_order_number=_cut(order.reference, 100), currency=order.currency if order.currency and len(order.currency) == 3 else None,
        subtotal=order.subtotal, tax=order.tax, shipping=order.shipping, total=order.total,
        lines=[ShopLinePrice(line_no=li.line_no, title=_cut(li.shop_line.title, 300), quantity=li.shop_line.quantity,
                             unit_price=li.shop_line.unit_price, total=li.shop_line.total)
               for li in mapped.goods if li.shop_line is not None],
        ship_to=_postal(order.ship_to), shipping_method=_cut(order.shipping_method, 200),
        buyer_note=_cut(order.note, 2000), language=_cut(order.language, 10),
        gift=bool(order.extra.get("is_gift")),
    )
    return ChannelOrderReceived(
        order_id=order_id, channel=connector.channel, shop=connector.shop, external_order_id=order.external_id,
        customer=customer,
        lines=[OrderLine(line_no=li.line_no, sku=li.sku, quantity=li.quantity, unit=li.unit) for li in mapped.goods],
        wanted_date=order.wanted_date, received_at=datetime.now(timezone.utc), details=details,
    )
