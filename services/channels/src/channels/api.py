"""HTTP API: connectors and SKU maps (configuration), shop webhooks (intake), the shop order
queues (needs mapping, awaiting payment, review...), deliveries and fulfillments."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from enum import StrEnum

import httpx
from fastapi import Body, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from channels import catalog
from channels.domain.channels import Channel
from channels.domain.intake_rules import IntakeRules
from channels.domain.shop_orders import PayloadError
from channels.domain.sku_mapping import MATCH_KINDS
from channels.intake import apply_version, retry, retry_parked
from channels.order_import import reconcile
from channels.platforms import platform_for
from channels.platforms.base import API_FAILURES, DeliveryKind
from channels.schemas import (
    ConnectorIn, ConnectorOut, DeliveryOut, FulfillmentOut, ReconcileIn, ReconcileOut, RotateSecretIn, Shop,
    ShopOrderDetail, ShopOrderLines, ShopOrderOut, ShopOrderPage, SkuMapIn, SkuMapOut, SkuTargetIn, WebhookAnswer,
)
from channels.secrets import SecretBox
from channels.shop_api import ready_for_api
from channels.tables import Connector, DeliveryRow, Fulfillment, OrderFetch, ShopOrderRow, SkuMapEntry
from eventkit import Runtime
from eventkit.redaction import secret_safe_validation_errors

SECRET_FIELDS = ("webhook_secret", "admin_token", "api_key", "api_secret", "access_token", "refresh_token")


class ShopOrderStatus(StrEnum):
    received = "received"
    accepted = "accepted"
    needs_mapping = "needs_mapping"
    needs_review = "needs_review"
    awaiting_payment = "awaiting_payment"
    test = "test"
    cancelled = "cancelled"
    no_goods = "no_goods"


class FulfillmentStatus(StrEnum):
    pending = "pending"
    synced = "synced"
    failed = "failed"


def split_ref(ref: str) -> tuple[str, str]:
    """"variant:123" -> ("variant", "123"); "SOAP-1" -> ("sku", "SOAP-1")."""
    kind, sep, rest = ref.partition(":")
    if sep and kind in MATCH_KINDS and kind != "sku" and rest:
        return kind, rest
    return "sku", ref


def make_api(rt: Runtime) -> FastAPI:
    app = FastAPI(title="batchflow channels", version="1")
    app.add_exception_handler(RequestValidationError, secret_safe_validation_errors(SECRET_FIELDS + ("previous_secret",)))
    box = SecretBox(rt.settings.secrets_key)
    public = rt.settings.public_base_url.rstrip("/")

    def connector_out(c: Connector) -> ConnectorOut:
        path = f"/webhooks/{c.channel}/{c.shop}"
        return ConnectorOut(
            channel=c.channel, shop=c.shop, enabled=c.enabled, admin_url=c.admin_url, shop_id=c.shop_id,
            **{f"has_{f}": bool(getattr(c, f)) for f in SECRET_FIELDS},
            token_expires_at=c.token_expires_at, rules=IntakeRules.from_json(c.rules).to_json(),
            webhook_path=path, webhook_url=public + path, reconciled_at=c.reconciled_at,
            reconcile_error=c.reconcile_error,
        )

    async def get_connector(session, channel: Channel, shop: str, lock: bool = False) -> Connector:
        stmt = select(Connector).where(Connector.channel == channel.value, Connector.shop == shop)
        if lock:
            stmt = stmt.with_for_update()
        connector = (await session.execute(stmt.execution_options(populate_existing=True))).scalars().first()
        if connector is None:
            raise HTTPException(404, f"no {channel.value} connector for shop {shop!r}")
        return connector

    # -- connectors --------------------------------------------------------------------------
    @app.post("/connectors", response_model=ConnectorOut)
    async def put_connector(body: ConnectorIn) -> ConnectorOut:
        """Creates or updates. Fields left out keep their value (re-posting the admin_url must
        not silently switch off signature checks); an explicit null clears one. Secrets are
        sealed before they are stored and never shown again."""
        values = {}
        for name in body.model_fields_set - {"channel", "shop"}:
            value = getattr(body, name)
            if name in SECRET_FIELDS:
                value = box.seal(value)
            elif name == "admin_url":
                value = str(value).rstrip("/") if value else None
            elif name == "rules":
                continue  # merged with the rules in force below
            elif name == "enabled" and value is None:
                continue
            values[name] = value
        async with rt.uow.start(name="configure connector") as ctx:
            if "rules" in body.model_fields_set:
                # Rules not named keep their value (like every other field); null resets all.
                current = await ctx.session.scalar(
                    select(Connector.rules).where(Connector.channel == body.channel.value, Connector.shop == body.shop)
                    .with_for_update())
                given = body.rules.model_dump(exclude_none=True) if body.rules else None
                merged = {**IntakeRules.from_json(current).to_json(), **given} if given is not None else {}
                values["rules"] = IntakeRules.from_json(merged).to_json()
            await ctx.session.execute(
                insert(Connector)
                .values(channel=body.channel.value, shop=body.shop, created_at=func.now(), updated_at=func.now(),
                        **{"rules": IntakeRules().to_json(), **values})
                .on_conflict_do_update(index_elements=["channel", "shop"], set_={**values, "updated_at": func.now()})
            )
            return connector_out(await get_connector(ctx.session, body.channel, body.shop))

    @app.get("/connectors", response_model=list[ConnectorOut])
    async def list_connectors() -> list[ConnectorOut]:
        async with rt.uow.sessions() as session:
            rows = (await session.execute(select(Connector).order_by(Connector.channel, Connector.shop))).scalars()
            return [connector_out(c) for c in rows]

    @app.get("/connectors/{channel}/{shop}", response_model=ConnectorOut)
    async def show_connector(channel: Channel, shop: Shop) -> ConnectorOut:
        async with rt.uow.sessions() as session:
            return connector_out(await get_connector(session, channel, shop))

    @app.delete("/connectors/{channel}/{shop}", status_code=204)
    async def delete_connector(channel: Channel, shop: Shop) -> None:
        """The connector and its mappings go; its shop orders and fulfillments stay as history
        (a later connector for the same shop finds them again: same order ids)."""
        async with rt.uow.start(name="delete connector") as ctx:
            await get_connector(ctx.session, channel, shop, lock=True)
            await ctx.session.execute(delete(Connector).where(Connector.channel == channel.value, Connector.shop == shop))

    async def set_enabled(channel: Channel, shop: str, enabled: bool) -> ConnectorOut:
        async with rt.uow.start(name="enable connector") as ctx:
            await get_connector(ctx.session, channel, shop, lock=True)
            await ctx.session.execute(update(Connector).where(Connector.channel == channel.value, Connector.shop == shop)
                                      .values(enabled=enabled, updated_at=func.now()))
            return connector_out(await get_connector(ctx.session, channel, shop))

    @app.post("/connectors/{channel}/{shop}/disable", response_model=ConnectorOut)
    async def disable(channel: Channel, shop: Shop) -> ConnectorOut:
        """Deliveries are answered 200 and recorded (`ignored`), nothing is imported or
        reported; enable and reconcile to catch up."""
        return await set_enabled(channel, shop, False)

    @app.post("/connectors/{channel}/{shop}/enable", response_model=ConnectorOut)
    async def enable(channel: Channel, shop: Shop) -> ConnectorOut:
        return await set_enabled(channel, shop, True)

    @app.post("/connectors/{channel}/{shop}/rotate-secret", response_model=ConnectorOut)
    async def rotate_secret(channel: Channel, shop: Shop, body: RotateSecretIn) -> ConnectorOut:
        """The new webhook secret applies at once; the old one is still accepted for
        `secret_grace_seconds`, for deliveries the shop signed before it switched."""
        until = datetime.now(timezone.utc) + timedelta(seconds=rt.settings.secret_grace_seconds)
        async with rt.uow.start(name="rotate secret") as ctx:
            c = await get_connector(ctx.session, channel, shop, lock=True)
            await ctx.session.execute(
                update(Connector).where(Connector.channel == channel.value, Connector.shop == shop)
                .values(previous_secret=c.webhook_secret, previous_secret_until=until if c.webhook_secret else None,
                        webhook_secret=box.seal(body.webhook_secret), updated_at=func.now()))
            return connector_out(await get_connector(ctx.session, channel, shop))

    # -- SKU maps ------------------------------------------------------------------------------
    async def sku_map(session, channel: Channel, shop: str) -> list[SkuMapOut]:
        rows = (await session.execute(
            select(SkuMapEntry).where(SkuMapEntry.channel == channel.value, SkuMapEntry.shop == shop)
            .order_by(SkuMapEntry.match_on, SkuMapEntry.external_sku))).scalars()
        return [SkuMapOut(ref=r.external_sku if r.match_on == "sku" else f"{r.match_on}:{r.external_sku}",
                          match_on=r.match_on, external=r.external_sku, sku=r.sku, unit=r.unit, per_item=r.per_item,
                          ignore=r.ignore) for r in rows]

    @app.post("/connectors/{channel}/{shop}/sku-map", response_model=list[SkuMapOut])
    async def put_sku_map(channel: Channel, shop: Shop, body: SkuMapIn = Body(...)) -> list[SkuMapOut]:
        """Adds or replaces entries; entries not named stay as they are. Shop orders waiting
        for a mapping are decided again in the same transaction: mapped, they proceed."""
        if not body:
            raise HTTPException(422, "the SKU map is empty")
        targets = {ref: target if isinstance(target, SkuTargetIn) else SkuTargetIn(sku=target)
                   for ref, target in body.items()}
        async with rt.uow.start(name="map skus") as ctx:
            connector = await get_connector(ctx.session, channel, shop)
            # A SKU of ours typed in another case would pass here and be refused by orders
            # (SKUs are exact there), the order then waiting on its review list: said now.
            slips = await catalog.case_slips(ctx.session, {t.sku for t in targets.values() if not t.ignore})
            if slips:
                raise HTTPException(422, "; ".join(
                    f"{ref}: our SKU is {slips[t.sku]}, not {t.sku}" for ref, t in targets.items() if t.sku in slips))
            for ref, t in targets.items():
                match_on, external = split_ref(ref)
                values = dict(sku=t.sku, unit=t.unit.value, per_item=t.per_item, ignore=t.ignore, updated_at=func.now())
                await ctx.session.execute(
                    insert(SkuMapEntry)
                    .values(channel=channel.value, shop=shop, match_on=match_on, external_sku=external, **values)
                    .on_conflict_do_update(index_elements=["channel", "shop", "match_on", "external_sku"], set_=values)
                )
            await retry_parked(ctx, connector, statuses=("needs_mapping",))
            return await sku_map(ctx.session, channel, shop)

    @app.get("/connectors/{channel}/{shop}/sku-map", response_model=list[SkuMapOut])
    async def get_sku_map(channel: Channel, shop: Shop) -> list[SkuMapOut]:
        async with rt.uow.sessions() as session:
            await get_connector(session, channel, shop)
            return await sku_map(session, channel, shop)

    @app.delete("/connectors/{channel}/{shop}/sku-map/{ref}", status_code=204)
    async def delete_mapping(channel: Channel, shop: Shop, ref: str = Path(min_length=1, max_length=300)) -> None:
        match_on, external = split_ref(ref)
        async with rt.uow.start(name="unmap sku") as ctx:
            await get_connector(ctx.session, channel, shop)
            gone = await ctx.session.execute(
                delete(SkuMapEntry).where(SkuMapEntry.channel == channel.value, SkuMapEntry.shop == shop,
                                          SkuMapEntry.match_on == match_on, SkuMapEntry.external_sku == external)
                .returning(SkuMapEntry.external_sku))
            if gone.first() is None:
                raise HTTPException(404, f"no mapping {ref!r} for {channel.value} shop {shop!r}")

    # -- reconciliation ------------------------------------------------------------------------
    @app.post("/connectors/{channel}/{shop}/reconcile", response_model=ReconcileOut,
              responses={409: {}, 424: {"description": "the platform's API failed or refused"}})
    async def reconcile_now(channel: Channel, shop: Shop, body: ReconcileIn | None = None) -> ReconcileOut:
        """Import every order the platform modified since `since` (default: where the last
        pass left off), exactly once together with webhooks."""
        async with rt.uow.sessions() as session:
            connector = await get_connector(session, channel, shop)
        if not ready_for_api(connector):
            raise HTTPException(409, "connector is disabled or has no admin_url: nothing to reconcile against")
        async with httpx.AsyncClient(timeout=rt.settings.api_timeout) as client:
            try:
                result = await reconcile(rt, box, client, connector, body.since if body else None)
            except API_FAILURES as exc:
                # 424, not 502: what failed is the platform this connector points at (its URL,
                # its credentials), which the operator fixes; our service is fine.
                raise HTTPException(424, f"{channel.value} API: {exc or type(exc).__name__}") from None
        return ReconcileOut(seen=result.seen, outcomes=result.outcomes, since=result.since, until=result.until)

    # -- webhooks ------------------------------------------------------------------------------
    @app.post("/webhooks/{channel}/{shop}", response_model=WebhookAnswer, responses={401: {}, 404: {}, 413: {}, 422: {}})
    async def webhook(channel: Channel, shop: Shop, request: Request) -> WebhookAnswer:
        raw = await request.body()
        if len(raw) > rt.settings.webhook_max_bytes:
            raise HTTPException(413, f"webhook body larger than {rt.settings.webhook_max_bytes} bytes")
        platform = platform_for(channel)
        headers = {k.lower(): v for k, v in request.headers.items()}
        async with rt.uow.sessions() as session:
            connector = await get_connector(session, channel, shop)
        try:
            delivery = platform.classify(headers, raw)
        except (PayloadError, ValueError) as exc:
            delivery = None
            unreadable = str(exc) if isinstance(exc, PayloadError) else "body is not valid JSON"
        if delivery is not None and delivery.kind is DeliveryKind.ping:
            return WebhookAnswer(status="ping")  # WooCommerce checking the URL: unsigned, nothing to store
        if not connector.webhook_secret:
            raise HTTPException(401, "this connector has no webhook secret: unsigned deliveries are refused")
        now = datetime.now(timezone.utc)
        refusal = platform.verify(box.open(connector.webhook_secret), headers, raw, now)
        if refusal and connector.previous_secret and connector.previous_secret_until and now < connector.previous_secret_until:
            refusal = platform.verify(box.open(connector.previous_secret), headers, raw, now) and refusal
        if refusal:
            raise HTTPException(401, refusal)
        if delivery is None:
            raise HTTPException(422, unreadable)
        async with rt.uow.start(name="shop webhook") as ctx:
            if delivery.delivery_id:
                seen = await ctx.session.execute(
                    update(DeliveryRow).where(DeliveryRow.channel == channel.value, DeliveryRow.shop == shop,
                                              DeliveryRow.delivery_id == delivery.delivery_id)
                    .values(repeats=DeliveryRow.repeats + 1).returning(DeliveryRow.outcome))
                if (first := seen.first()) is not None:
                    return WebhookAnswer(status="duplicate", reason=f"delivery already handled: {first.outcome}")
            answer = await handle(ctx, connector, delivery, raw)
            await ctx.session.execute(
                insert(DeliveryRow).values(channel=channel.value, shop=shop, delivery_id=delivery.delivery_id,
                                           topic=delivery.topic, external_id=delivery.external_id,
                                           outcome=answer.status, detail=answer.reason, received_at=func.now())
                .on_conflict_do_nothing())
        return answer

    async def handle(ctx, connector: Connector, delivery, raw: bytes) -> WebhookAnswer:
        if not connector.enabled:
            return WebhookAnswer(status="ignored", reason="connector disabled")
        if delivery.kind is DeliveryKind.ignored:
            return WebhookAnswer(status="ignored", reason=f"topic {delivery.topic} is not acted on")
        if delivery.kind is DeliveryKind.notice:
            named = delivery.payload.get("shop_id") if isinstance(delivery.payload, dict) else None
            if connector.shop_id and named is not None and str(named) != str(connector.shop_id):
                return WebhookAnswer(status="ignored", reason=f"notice is about shop {named}, not {connector.shop_id}")
            await ctx.session.execute(
                insert(OrderFetch).values(channel=connector.channel, shop=connector.shop,
                                          external_id=delivery.external_id, status="pending", attempts=0,
                                          next_attempt_at=func.now(), created_at=func.now())
                .on_conflict_do_update(index_elements=["channel", "shop", "external_id"],
                                       set_=dict(status="pending", next_attempt_at=func.now())))
            return WebhookAnswer(status="queued", reason=f"order {delivery.external_id} will be fetched")
        try:
            order = platform_for(connector.channel).parse_order(delivery.payload)
        except PayloadError as exc:
            return WebhookAnswer(status="unusable", reason=str(exc))
        outcome = await apply_version(ctx, connector, order, raw, "webhook")
        return WebhookAnswer(status=outcome.status, shop_order_id=outcome.shop_order_id, order_id=outcome.order_id,
                             reason=outcome.reason)

    # -- shop orders ---------------------------------------------------------------------------
    @app.get("/shop-orders", response_model=ShopOrderPage)
    async def list_shop_orders(
        status: ShopOrderStatus | None = None, channel: Channel | None = None, shop: Shop | None = None,
        attention: bool | None = None,
        limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0),
    ) -> ShopOrderPage:
        conds = []
        if status:
            conds.append(ShopOrderRow.status == status.value)
        if channel:
            conds.append(ShopOrderRow.channel == channel.value)
        if shop:
            conds.append(ShopOrderRow.shop == shop)
        if attention is not None:
            conds.append(ShopOrderRow.attention.is_not(None) if attention else ShopOrderRow.attention.is_(None))
        async with rt.uow.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(ShopOrderRow).where(*conds))
            rows = (await session.execute(select(ShopOrderRow).where(*conds)
                                          .order_by(ShopOrderRow.received_at.desc()).limit(limit).offset(offset))).scalars()
            items = [ShopOrderOut.model_validate(r, from_attributes=True) for r in rows]
        return ShopOrderPage(items=items, total=total, limit=limit, offset=offset)

    async def shop_order(session, shop_order_id) -> ShopOrderRow:
        row = await session.get(ShopOrderRow, shop_order_id)
        if row is None:
            raise HTTPException(404, f"shop order {shop_order_id} not found")
        return row

    @app.get("/shop-orders/{shop_order_id}", response_model=ShopOrderDetail)
    async def show_shop_order(shop_order_id: uuid.UUID) -> ShopOrderDetail:
        async with rt.uow.sessions() as session:
            row = await shop_order(session, shop_order_id)
        try:
            payload = json.loads(row.raw_body)
        except ValueError:
            payload = row.raw_body.decode(errors="replace")
        return ShopOrderDetail(**ShopOrderOut.model_validate(row, from_attributes=True).model_dump(),
                               payload=payload, lines=row.lines)

    @app.get("/orders/{order_id}/shop-order", response_model=ShopOrderLines, responses={404: {}})
    async def shop_order_of(order_id: str = Path(max_length=100)) -> ShopOrderLines:
        """The shop order that became `order_id`, with its mapped lines (for the order's page);
        404 when the order did not come from a shop, or is not accepted yet."""
        async with rt.uow.sessions() as session:
            row = (await session.execute(
                select(ShopOrderRow).where(ShopOrderRow.order_id == order_id, ShopOrderRow.accepted_at.is_not(None))
            )).scalars().first()
        if row is None:
            raise HTTPException(404, f"order {order_id} did not come from a shop")
        return ShopOrderLines(shop_order_id=row.shop_order_id, channel=row.channel, shop=row.shop,
                              external_id=row.external_id, reference=row.reference, lines=row.lines or [])

    @app.post("/shop-orders/{shop_order_id}/retry", response_model=ShopOrderOut, responses={409: {}})
    async def retry_shop_order(shop_order_id: uuid.UUID) -> ShopOrderOut:
        """Decide again from the version kept (after fixing the mapping, the connector's
        rules, or the catalog). Only for orders that wait: accepted ones are final."""
        async with rt.uow.start(name="retry shop order") as ctx:
            row = await shop_order(ctx.session, shop_order_id)
            if row.accepted_at is not None or row.status == "cancelled":
                raise HTTPException(409, f"shop order is {row.status}: nothing to retry")
            connector = await get_connector(ctx.session, Channel(row.channel), row.shop)
            await catalog.hold_for_intake(ctx)  # before the row lock (see channels.catalog)
            locked = (await ctx.session.execute(select(ShopOrderRow).where(ShopOrderRow.shop_order_id == shop_order_id)
                                                .with_for_update())).scalars().one()
            await retry(ctx, connector, locked)
            await ctx.session.refresh(locked)
            return ShopOrderOut.model_validate(locked, from_attributes=True)

    @app.get("/deliveries", response_model=list[DeliveryOut])
    async def list_deliveries(channel: Channel | None = None, shop: Shop | None = None,
                              limit: int = Query(100, ge=1, le=1000)) -> list[DeliveryOut]:
        stmt = select(DeliveryRow).order_by(DeliveryRow.received_at.desc(), DeliveryRow.id.desc()).limit(limit)
        if channel:
            stmt = stmt.where(DeliveryRow.channel == channel.value)
        if shop:
            stmt = stmt.where(DeliveryRow.shop == shop)
        async with rt.uow.sessions() as session:
            return [DeliveryOut.model_validate(d, from_attributes=True) for d in (await session.execute(stmt)).scalars()]

    # -- fulfillments --------------------------------------------------------------------------
    @app.get("/fulfillments", response_model=list[FulfillmentOut])
    async def list_fulfillments(
        status: FulfillmentStatus | None = None, order_id: str | None = Query(None, max_length=100),
        limit: int = Query(100, ge=1, le=1000)
    ) -> list[FulfillmentOut]:
        stmt = select(Fulfillment).order_by(Fulfillment.created_at.desc()).limit(limit)
        if status:
            stmt = stmt.where(Fulfillment.status == status.value)
        if order_id:
            stmt = stmt.where(Fulfillment.order_id == order_id)
        async with rt.uow.sessions() as session:
            return [FulfillmentOut(**f.model_dump()) for f in (await session.execute(stmt)).scalars()]

    @app.post("/fulfillments/{fulfillment_id}/retry", response_model=FulfillmentOut, responses={409: {}})
    async def retry_fulfillment(fulfillment_id: uuid.UUID) -> FulfillmentOut:
        """A failed fulfillment goes back to pending with its attempts reset."""
        async with rt.uow.start(name="retry fulfillment") as ctx:
            f = (await ctx.session.execute(select(Fulfillment).where(Fulfillment.fulfillment_id == fulfillment_id)
                                           .with_for_update())).scalars().first()
            if f is None:
                raise HTTPException(404, f"fulfillment {fulfillment_id} not found")
            if f.status == "synced":
                raise HTTPException(409, "fulfillment already reported to the shop")
            await ctx.session.execute(update(Fulfillment).where(Fulfillment.fulfillment_id == fulfillment_id)
                                      .values(status="pending", attempts=0, next_attempt_at=func.now()))
            await ctx.session.refresh(f)
            return FulfillmentOut(**f.model_dump())

    return app



