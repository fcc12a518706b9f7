"""Channels (channels service): shop connectors and their SKU maps, the shop orders they
brought in (and the queues where some wait: needs mapping, awaiting payment...), the
deliveries log, fulfillments reported to the shops, and the public webhook endpoint the shops
call. Reads need a viewer key, everything else an operator key (gateway.auth)."""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.responses import Response

from gateway.auth import require_key
from gateway.downstream import Downstream, downstream
from gateway.schemas import (
    ChannelName, ConnectorCreate, FulfillmentStatus, ReconcileRequest, RotateSecret, ShopOrderStatus, ShopPath,
    ShopText, SkuMapping, SkuRefPath,
)

router = APIRouter(prefix="/api", tags=["channels"], dependencies=[Security(require_key)])
webhooks = APIRouter(tags=["channels"])

# Hop-by-hop and transport headers are the gateway's own business; everything else (the
# shop's signature headers in particular) goes to the channels service untouched.
_NOT_FORWARDED = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "te", "upgrade",
                  "proxy-authorization", "proxy-connection", "x-api-key", "accept-encoding"}


def _connector(channel: ChannelName, shop: str) -> str:
    return f"/connectors/{channel.value}/{shop}"


def _given(**params: object) -> dict:
    """The validated query parameters the caller set (the service's defaults apply to the rest)."""
    return {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in params.items() if v is not None}


# -- connectors ---------------------------------------------------------------------------------
@router.post("/connectors", summary="Configure a shop connector (create or update)",
             description="Fields left out keep their value; an explicit null clears one. Secrets and tokens "
             "are encrypted by the channels service and never shown again (the answer says `has_<field>`).")
async def put_connector(body: ConnectorCreate, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "POST", "/connectors", json=body.forward())


@router.get("/connectors", summary="List shop connectors",
            description="Each with its absolute `webhook_url` to paste into the shop's webhook settings.")
async def list_connectors(ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "GET", "/connectors")


@router.get("/connectors/{channel}/{shop}", summary="One shop connector")
async def get_connector(channel: ChannelName, shop: ShopPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "GET", _connector(channel, shop))


@router.delete("/connectors/{channel}/{shop}", status_code=204, summary="Delete a shop connector",
               description="The connector and its SKU map go; its shop orders and fulfillments stay as history.")
async def delete_connector(channel: ChannelName, shop: ShopPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "DELETE", _connector(channel, shop))


@router.post("/connectors/{channel}/{shop}/disable", summary="Disable a connector",
             description="Deliveries are answered 200 and recorded as ignored; nothing is imported or reported. "
             "Enable and reconcile to catch up.")
async def disable_connector(channel: ChannelName, shop: ShopPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "POST", f"{_connector(channel, shop)}/disable")


@router.post("/connectors/{channel}/{shop}/enable", summary="Enable a connector")
async def enable_connector(channel: ChannelName, shop: ShopPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "POST", f"{_connector(channel, shop)}/enable")


@router.post("/connectors/{channel}/{shop}/rotate-secret", summary="Rotate the webhook secret",
             description="The new secret applies at once; the old one is still accepted for a grace period.")
async def rotate_secret(channel: ChannelName, shop: ShopPath, body: RotateSecret,
                        ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "POST", f"{_connector(channel, shop)}/rotate-secret", json=body.forward())


@router.post("/connectors/{channel}/{shop}/reconcile", summary="Import orders the shop modified since a time",
             description="Recovers orders whose webhook was lost; exactly once together with webhooks. "
             "Default `since`: where the last pass left off. 409 if the connector is disabled or has no "
             "admin_url; 424 if the platform's API failed or refused (its URL or credentials to fix).")
async def reconcile(channel: ChannelName, shop: ShopPath, body: ReconcileRequest | None = None,
                    ds: Downstream = Depends(downstream)) -> Response:
    payload = body.forward() if body is not None else None
    return await ds.relay("channels", "POST", f"{_connector(channel, shop)}/reconcile", json=payload)


# -- SKU maps -----------------------------------------------------------------------------------
@router.post("/connectors/{channel}/{shop}/sku-map", summary="Map shop lines to our SKUs",
             description='Keys: a shop SKU, "variant:<id>" or "product:<id>". Values: our SKU, '
             "{sku, unit, per_item} (a pack), or {ignore: true} (not goods). Adds or replaces the entries "
             "named; others stay. Shop orders waiting for a mapping proceed by themselves.")
async def map_skus(channel: ChannelName, shop: ShopPath, body: SkuMapping,
                   ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "POST", f"{_connector(channel, shop)}/sku-map", json=body.forward())


@router.get("/connectors/{channel}/{shop}/sku-map", summary="A shop's SKU map")
async def get_sku_map(channel: ChannelName, shop: ShopPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "GET", f"{_connector(channel, shop)}/sku-map")


@router.delete("/connectors/{channel}/{shop}/sku-map/{ref}", status_code=204, summary="Remove one mapping",
               description='`ref` as it was mapped: a shop SKU, "variant:<id>" or "product:<id>".')
async def unmap_sku(channel: ChannelName, shop: ShopPath, ref: SkuRefPath,
                    ds: Downstream = Depends(downstream)) -> Response:
    # The ref is the shop's text (it may hold "#", "?", spaces): encoded as one path segment.
    return await ds.relay("channels", "DELETE", f"{_connector(channel, shop)}/sku-map/{quote(ref, safe=':')}")


# -- shop orders, deliveries, fulfillments ------------------------------------------------------
@router.get("/shop-orders", summary="Shop orders and what became of them",
            description="Filter with `status` (needs_mapping, needs_review, awaiting_payment... are the queues "
            "an operator works through), `channel`, `shop`, `attention` (changes at the shop recorded, not "
            "applied); paged with `limit` and `offset`.")
async def list_shop_orders(
    status: ShopOrderStatus | None = None, channel: ChannelName | None = None, shop: ShopText | None = None,
    attention: bool | None = None, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0),
    ds: Downstream = Depends(downstream),
) -> Response:
    params = _given(status=status, channel=channel, shop=shop, attention=attention, limit=limit, offset=offset)
    return await ds.relay("channels", "GET", "/shop-orders", params=params)


@router.get("/shop-orders/{shop_order_id}", summary="One shop order, with the platform's payload")
async def get_shop_order(shop_order_id: UUID, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "GET", f"/shop-orders/{shop_order_id}")


@router.post("/shop-orders/{shop_order_id}/retry", summary="Decide a waiting shop order again",
             description="After fixing the mapping, the connector's rules or the catalog. 409 for an order "
             "already accepted or cancelled.")
async def retry_shop_order(shop_order_id: UUID, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "POST", f"/shop-orders/{shop_order_id}/retry")


@router.get("/deliveries", summary="Webhook deliveries as they came, newest first",
            description="Each with what intake did (accepted, duplicate, stale, queued, ignored...).")
async def list_deliveries(channel: ChannelName | None = None, shop: ShopText | None = None,
                          limit: int = Query(100, ge=1, le=1000), ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "GET", "/deliveries", params=_given(channel=channel, shop=shop, limit=limit))


@router.get("/fulfillments", summary="Fulfillments reported to the shops",
            description="Filter with `status` (pending, synced, failed) or `order_id`.")
async def list_fulfillments(status: FulfillmentStatus | None = None,
                            order_id: str | None = Query(None, min_length=1, max_length=100),
                            limit: int = Query(100, ge=1, le=1000), ds: Downstream = Depends(downstream)) -> Response:
    params = _given(status=status, order_id=order_id, limit=limit)
    return await ds.relay("channels", "GET", "/fulfillments", params=params)


@router.post("/fulfillments/{fulfillment_id}/retry", summary="Report a failed fulfillment again",
             description="Back to pending with its attempts reset; 409 if the shop already has it.")
async def retry_fulfillment(fulfillment_id: UUID, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("channels", "POST", f"/fulfillments/{fulfillment_id}/retry")


# -- the shops' own door ------------------------------------------------------------------------
@webhooks.post(
    "/webhooks/{channel}/{shop}",
    summary="Shop webhook (public)",
    description="Called by the shop platform, not by operators: no API key; the shop's signature "
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
