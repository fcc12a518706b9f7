"""HTTP API: connectors and SKU maps (configuration), shop webhooks (intake), and the
webhook inbox / fulfillment views."""

from __future__ import annotations

import json
from enum import StrEnum

from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from channels.domain.channels import SIGNATURE_HEADER, Channel, order_id_for, signature_valid
from channels.domain.shop_orders import PayloadError, external_id_of
from channels.intake import receive
from channels.schemas import (
    ConnectorIn, ConnectorOut, FulfillmentOut, Shop, SkuMapIn, SkuMapOut, SkuTargetIn, WebhookAccepted, WebhookOut,
)
from channels.tables import Connector, Fulfillment, SkuMapEntry, Webhook
from eventkit import Runtime


class WebhookStatus(StrEnum):
    received = "received"
    accepted = "accepted"
    rejected = "rejected"


class FulfillmentStatus(StrEnum):
    pending = "pending"
    synced = "synced"
    failed = "failed"


def _connector_out(c: Connector) -> ConnectorOut:
    return ConnectorOut(
        channel=c.channel, shop=c.shop, admin_url=c.admin_url, has_webhook_secret=bool(c.webhook_secret),
        has_admin_token=bool(c.admin_token), webhook_url=f"/webhooks/{c.channel}/{c.shop}",
    )




def make_api(rt: Runtime) -> FastAPI:
    app = FastAPI(title="batchflow channels", version="1")


    async def _connector(session, channel: Channel, shop: str) -> Connector:
        connector = await session.get(Connector, (channel.value, shop))
        if connector is None:
            raise HTTPException(404, f"no {channel.value} connector for shop {shop!r}")
        return connector

    @app.post("/connectors", response_model=ConnectorOut)
    async def put_connector(body: ConnectorIn) -> ConnectorOut:
        """Creates or updates. Fields left out keep their value (re-posting the admin_url must
        not silently switch off signature checks); an explicit null clears one."""
        given = dict(
            admin_url=str(body.admin_url).rstrip("/") if body.admin_url else None,
            webhook_secret=body.webhook_secret, admin_token=body.admin_token,
        )
        values = {k: v for k, v in given.items() if k in body.model_fields_set}
        async with rt.uow.start(name="configure connector") as ctx:
            await ctx.session.execute(
                insert(Connector)
                .values(channel=body.channel.value, shop=body.shop, created_at=func.now(), updated_at=func.now(), **values)
                .on_conflict_do_update(index_elements=["channel", "shop"], set_={**values, "updated_at": func.now()})
            )
            connector = await _connector(ctx.session, body.channel, body.shop)
            await ctx.session.refresh(connector)
        return _connector_out(connector)

    @app.get("/connectors", response_model=list[ConnectorOut])
    async def list_connectors() -> list[ConnectorOut]:
        async with rt.uow.sessions() as session:
            rows = (await session.execute(select(Connector).order_by(Connector.channel, Connector.shop))).scalars()
            return [_connector_out(c) for c in rows]

    async def _sku_map(session, channel: Channel, shop: str) -> list[SkuMapOut]:
        rows = (
            await session.execute(
                select(SkuMapEntry)
                .where(SkuMapEntry.channel == channel.value, SkuMapEntry.shop == shop)
                .order_by(SkuMapEntry.external_sku)
            )
        ).scalars()
        return [SkuMapOut(external_sku=r.external_sku, sku=r.sku, unit=r.unit, per_item=r.per_item) for r in rows]

    @app.post("/connectors/{channel}/{shop}/sku-map", response_model=list[SkuMapOut])
    async def put_sku_map(channel: Channel, shop: Shop, body: SkuMapIn = Body(...)) -> list[SkuMapOut]:
        """Adds or replaces entries; entries not named stay as they are."""
        if not body:
            raise HTTPException(422, "the SKU map is empty")
        async with rt.uow.start(name="map skus") as ctx:
            await _connector(ctx.session, channel, shop)
            for external_sku, target in body.items():
                t = target if isinstance(target, SkuTargetIn) else SkuTargetIn(sku=target)
                values = dict(sku=t.sku, unit=t.unit.value, per_item=t.per_item, updated_at=func.now())
                await ctx.session.execute(
                    insert(SkuMapEntry)
                    .values(channel=channel.value, shop=shop, external_sku=external_sku, **values)
                    .on_conflict_do_update(index_elements=["channel", "shop", "external_sku"], set_=values)
                )
            return await _sku_map(ctx.session, channel, shop)

    @app.get("/connectors/{channel}/{shop}/sku-map", response_model=list[SkuMapOut])
    async def get_sku_map(channel: Channel, shop: Shop) -> list[SkuMapOut]:
        async with rt.uow.sessions() as session:
            await _connector(session, channel, shop)
            return await _sku_map(session, channel, shop)

    @app.post("/webhooks/{channel}/{shop}", response_model=WebhookAccepted, responses={401: {}, 404: {}, 422: {}})
    async def webhook(channel: Channel, shop: Shop, request: Request):
        raw = await request.body()
        if len(raw) > rt.settings.webhook_max_bytes:
            raise HTTPException(413, f"webhook body larger than {rt.settings.webhook_max_bytes} bytes")
        async with rt.uow.sessions() as session:
            connector = await _connector(session, channel, shop)
        if connector.webhook_secret and not signature_valid(
            connector.webhook_secret, raw, request.headers.get(SIGNATURE_HEADER[channel])
        ):
            raise HTTPException(401, f"missing or wrong {SIGNATURE_HEADER[channel]} signature")
        try:
            payload = json.loads(raw)
            external_id = external_id_of(channel, payload)
        except ValueError as exc:  # not JSON, or no order id: nothing to file it under
            reason = str(exc) if isinstance(exc, PayloadError) else "body is not valid JSON"
            raise HTTPException(422, reason) from None
        order_id = order_id_for(channel.value, shop, external_id)
        async with rt.uow.start(correlation_id=order_id, name="shop webhook") as ctx:
            outcome = await receive(ctx, channel, shop, external_id, raw, payload)
        if outcome.status == "rejected":  # committed as rejected: visible in GET /webhooks
            return JSONResponse(
                status_code=422,
                content={"detail": outcome.reason, "external_sku": outcome.external_sku,
                         "webhook_id": str(outcome.webhook_id), "order_id": outcome.order_id},
            )
        return WebhookAccepted(status=outcome.status, webhook_id=outcome.webhook_id, order_id=outcome.order_id)

    @app.get("/webhooks", response_model=list[WebhookOut])
    async def list_webhooks(
        status: WebhookStatus | None = None, channel: Channel | None = None, shop: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
    ) -> list[WebhookOut]:
        stmt = select(Webhook).order_by(Webhook.received_at.desc()).limit(limit)
        if status:
            stmt = stmt.where(Webhook.status == status.value)
        if channel:
            stmt = stmt.where(Webhook.channel == channel.value)
        if shop:
            stmt = stmt.where(Webhook.shop == shop)
        async with rt.uow.sessions() as session:
            return [WebhookOut(**w.model_dump(exclude={"raw_body", "lines"})) for w in (await session.execute(stmt)).scalars()]

    @app.get("/fulfillments", response_model=list[FulfillmentOut])
    async def list_fulfillments(
        status: FulfillmentStatus | None = None, order_id: str | None = None, limit: int = Query(100, ge=1, le=1000)
    ) -> list[FulfillmentOut]:
        stmt = select(Fulfillment).order_by(Fulfillment.created_at.desc()).limit(limit)
        if status:
            stmt = stmt.where(Fulfillment.status == status.value)
        if order_id:
            stmt = stmt.where(Fulfillment.order_id == order_id)
        async with rt.uow.sessions() as session:
            return [FulfillmentOut(**f.model_dump()) for f in (await session.execute(stmt)).scalars()]

    return app
