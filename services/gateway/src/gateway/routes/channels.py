"""Channels (channels service): shop connectors, SKU mapping, fulfillments, and the public
webhook endpoint the shops call."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Security
from fastapi.responses import Response

from gateway.auth import require_key
from gateway.downstream import Downstream, downstream
from gateway.models import ChannelName, ConnectorCreate, ShopPath, SkuMapping

router = APIRouter(prefix="/api", tags=["channels"], dependencies=[Security(require_key)])
webhooks = APIRouter(tags=["channels"])

# Hop-by-hop and transport headers are the gateway's own business; everything else (the
# shop's signature headers in particular) goes to the channels service untouched.
_NOT_FORWARDED = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "te", "upgrade",
                  "proxy-authorization", "proxy-connection", "x-api-key", "accept-encoding"}


@router.post("/connectors", summary="Configure a shop connector (create or update)",
             description="Secrets are stored by the channels service and never shown again.")
async def put_connector(body: ConnectorCreate, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "POST", "/connectors", json=body.forward())


@router.get("/connectors", summary="List shop connectors")
async def list_connectors(ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "GET", "/connectors")


@router.post("/connectors/{channel}/{shop}/sku-map", summary="Map shop SKUs to our SKUs",
             description="Adds or replaces the entries named; others stay as they are.")
async def map_skus(channel: ChannelName, shop: ShopPath, body: SkuMapping,
                   ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "POST", f"/connectors/{channel.value}/{shop}/sku-map", json=body.forward())


@router.get("/connectors/{channel}/{shop}/sku-map", summary="A shop's SKU map")
async def get_sku_map(channel: ChannelName, shop: ShopPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "GET", f"/connectors/{channel.value}/{shop}/sku-map")


@router.get("/webhooks", summary="Webhook inbox (accepted and rejected shop orders)",
            description="Filter with `status`, `channel`, `shop`.")
async def list_webhooks(request: Request, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "GET", "/webhooks", params=list(request.query_params.multi_items()))


@router.get("/fulfillments", summary="Fulfillment syncs to the shops",
            description="Filter with `status` (pending, synced, failed) or `order_id`.")
async def fulfillments(request: Request, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "GET", "/fulfillments", params=list(request.query_params.multi_items()))


@webhooks.post(
    "/webhooks/{channel}/{shop}",
    summary="Shop webhook (public)",
    description="Called by the shop platform, not by operators: no API key; the shop's HMAC signature "
    "is its authentication and is checked by the channels service, so the raw body and headers "
    "are forwarded byte for byte and the channels service's answer is returned as is.",
)
async def webhook(channel: ChannelName, shop: ShopPath, request: Request,
                  ds: Downstream = Depends(downstream)) -> Response:
    body = await request.body()
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
    resp = await ds.call("channels", "POST", f"/webhooks/{channel.value}/{shop}", content=body, headers=headers,
                         params=list(request.query_params.multi_items()))
    if resp.status_code >= 500:
        # Tell the shop to retry later (it redelivers), without leaking internals.
        return Response(status_code=502)
    return Response(resp.content, status_code=resp.status_code,
                    media_type=resp.headers.get("content-type"))
