"""Liveness and readiness (no API key). Ready = every service's own /health/ready answers 200."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from gateway.downstream import Downstream, downstream

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", summary="The gateway process is up")
async def live() -> dict:
    return {"status": "alive", "service": "gateway"}


@router.get("/ready", summary="Every downstream service is ready",
            description="503 unless each service's /health/ready answers 200; `services` reports each.")
async def ready(request: Request, ds: Downstream = Depends(downstream)) -> JSONResponse:
    timeout = request.app.state.settings.ready_timeout
    names = list(ds.urls)
    results = await asyncio.gather(*(_probe(ds, name, timeout) for name in names))
    services = dict(zip(names, results, strict=True))
    ok = all(r["ready"] for r in results)
    return JSONResponse({"ready": ok, "services": services}, status_code=200 if ok else 503)


async def _probe(ds: Downstream, name: str, timeout: float) -> dict:
    url = ds.urls[name]
    try:
        resp = await ds.client.get(url + "/health/ready", timeout=timeout)
    except httpx.HTTPError as exc:
        return {"ready": False, "url": url, "error": f"unreachable: {type(exc).__name__}"}
    entry: dict = {"ready": resp.status_code == 200, "url": url, "status_code": resp.status_code}
    try:
        entry["checks"] = resp.json().get("checks")
    except (ValueError, AttributeError):
        pass
    return entry
