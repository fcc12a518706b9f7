"""What the web console needs beyond the services' own APIs: who am I (to show only the
buttons my role may use), the carriers list, the e-mails the mail catcher received, retrying
a failed e-mail, and the live feed of events (server-sent events)."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Security
from fastapi.responses import Response, StreamingResponse

from gateway.auth import require_key, role_of
from gateway.downstream import Downstream, downstream
from gateway.settings import Role

router = APIRouter(prefix="/api", tags=["console"])
keyed = [Security(require_key)]


@router.get("/whoami", summary="The caller's role", dependencies=keyed)
async def whoami(request: Request, role: Role = Security(require_key)) -> dict:
    s = request.app.state.settings
    return {"role": role.value, "may_act": role is Role.operator, "time_zone": s.display_time_zone or None,
            "live": request.app.state.live is not None}


@router.get("/carriers", summary="Carriers a shipment may leave with", dependencies=keyed)
async def carriers(ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "GET", "/carriers")


@router.post("/notifications/{notification_id}/retry", summary="Send a failed e-mail again", dependencies=keyed)
async def retry_notification(notification_id: UUID, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "POST", f"/notifications/{notification_id}/retry")


@router.get("/mailbox", summary="E-mails the local mail catcher received (development stack)", dependencies=keyed,
            description="Newest first; `to` filters by recipient. 404 when no mail catcher is configured.")
async def mailbox(request: Request, to: str | None = Query(None, max_length=254),
                  limit: int = Query(100, ge=1, le=1000)) -> Response:
    url = request.app.state.settings.mailbox_url
    if not url:
        raise HTTPException(404, "no mail catcher is configured (GATEWAY_MAILBOX_URL)")
    client: httpx.AsyncClient = request.app.state.downstream.client
    try:
        resp = await client.get(f"{url.rstrip('/')}/messages", params={k: v for k, v in
                                                                      {"to": to, "limit": limit}.items() if v})
    except httpx.HTTPError as exc:
        raise HTTPException(503, f"the mail catcher at {url} is unreachable: {exc}") from None
    return Response(resp.content, status_code=resp.status_code, media_type="application/json")


@router.get("/live", summary="Live events (server-sent events)",
            description="EventSource cannot send headers: the API key comes as `?key=`. Each message is one "
            "event's summary (event_type, producer, order_id, key, batch_id, sku, occurred_at).")
async def live(request: Request, key: str = Query(min_length=1, max_length=500)) -> StreamingResponse:
    if role_of(key, request.app.state.settings.api_keys) is None:
        raise HTTPException(401, "unknown API key")
    feed = request.app.state.live
    if feed is None:
        raise HTTPException(404, "no live feed: the gateway has no Kafka configured (GATEWAY_KAFKA_BOOTSTRAP)")
    queue = feed.subscribe()

    async def stream():
        try:
            yield "retry: 3000\n\n"
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=15)
                    yield f"data: {json.dumps(item)}\n\n"
                except asyncio.TimeoutError:
                    yield ": keep-alive\n\n"  # proxies drop idle connections
                if await request.is_disconnected():
                    return
        finally:
            feed.unsubscribe(queue)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
