"""Webhook intake: one shop order in, at most one ChannelOrderReceived out.

Runs in the request's transaction. The webhook row is the inbox: unique per shop order,
so a redelivery (or two deliveries racing: the second waits on the unique index) finds the
first one. An accepted order is never emitted twice; a rejected one is tried again on
redelivery, since the merchant may have fixed the SKU map in between."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from channels.domain.channels import Channel, order_id_for
from channels.domain.shop_orders import PayloadError, ShopOrder, parse_order
from channels.domain.sku_mapping import MappedLine, SkuTarget, UnmappedSku, map_lines
from channels.tables import SkuMapEntry, Webhook
from contracts.events import ChannelOrderReceived
from contracts.events.base import Customer, OrderLine
from eventkit import Context


@dataclass(frozen=True)
class Outcome:
    status: str  # accepted | duplicate | rejected
    webhook_id: uuid.UUID
    order_id: str
    reason: str | None = None
    external_sku: str | None = None


async def sku_mapping(session, channel: str, shop: str) -> dict[str, SkuTarget]:
    rows = (
        await session.execute(select(SkuMapEntry).where(SkuMapEntry.channel == channel, SkuMapEntry.shop == shop))
    ).scalars()
    return {r.external_sku: SkuTarget(r.sku, r.unit, r.per_item) for r in rows}


def _event(channel: Channel, shop: str, order: ShopOrder, lines: list[MappedLine], order_id: str) -> ChannelOrderReceived:
    return ChannelOrderReceived(
        order_id=order_id, channel=channel.value, shop=shop, external_order_id=order.external_id,
        customer=Customer(name=order.name, email=order.email, address=order.address, country=order.country, phone=order.phone),
        lines=[OrderLine(line_no=li.line_no, sku=li.sku, quantity=li.quantity, unit=li.unit) for li in lines],
        received_at=datetime.now(timezone.utc),
    )


def _refs(lines: list[MappedLine]) -> list[dict[str, Any]]:
    return [
        dict(line_no=li.line_no, external_line_id=li.external_line_id, external_sku=li.external_sku,
             sku=li.sku, per_item=str(li.per_item))
        for li in lines
    ]


async def receive(ctx: Context, channel: Channel, shop: str, external_id: str, raw: bytes, payload: Any) -> Outcome:
    s = ctx.session
    order_id = order_id_for(channel.value, shop, external_id)
    await s.execute(
        insert(Webhook)
        .values(webhook_id=uuid.uuid4(), channel=channel.value, shop=shop, external_id=external_id,
                order_id=order_id, status="received", raw_body=raw, received_at=func.now())
        .on_conflict_do_nothing(index_elements=["channel", "shop", "external_id"])
    )
    hook = (
        await s.execute(
            select(Webhook)
            .where(Webhook.channel == channel.value, Webhook.shop == shop, Webhook.external_id == external_id)
            .with_for_update()
        )
    ).scalars().one()
    if hook.status == "accepted":
        await s.execute(update(Webhook).where(Webhook.webhook_id == hook.webhook_id).values(deliveries=Webhook.deliveries + 1))
        return Outcome("duplicate", hook.webhook_id, order_id)
    if hook.status == "rejected":  # try again, with what the shop sent this time
        await s.execute(
            update(Webhook).where(Webhook.webhook_id == hook.webhook_id)
            .values(raw_body=raw, deliveries=Webhook.deliveries + 1)
        )

    async def reject(reason: str, external_sku: str | None = None) -> Outcome:
        await s.execute(update(Webhook).where(Webhook.webhook_id == hook.webhook_id).values(status="rejected", reason=reason))
        return Outcome("rejected", hook.webhook_id, order_id, reason, external_sku)

    try:
        order = parse_order(channel, payload)
        lines = map_lines(order.lines, await sku_mapping(s, channel.value, shop))
        event = _event(channel, shop, order, lines, order_id)
    except PayloadError as exc:
        return await reject(str(exc))
    except UnmappedSku as exc:
        return await reject(str(exc), exc.external_sku)
    except ValidationError as exc:  # e.g. a quantity with more than 6 decimals after mapping
        err = exc.errors()[0]
        return await reject(f"order does not fit: {'.'.join(map(str, err['loc']))}: {err['msg']}")

    await ctx.emit(event, correlation_id=order_id)
    await s.execute(
        update(Webhook).where(Webhook.webhook_id == hook.webhook_id)
        .values(status="accepted", reason=None, lines=_refs(lines), accepted_at=func.now())
    )
    return Outcome("accepted", hook.webhook_id, order_id)
