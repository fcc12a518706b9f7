"""A stub purchasing service for the gateway tests: records what it was sent, answers like
the service (201 drafts, 409 refusals it is told to give, 404 unknown POs)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request

PO_ID = "po-1"


def purchasing_stub(state: dict[str, Any]) -> FastAPI:
    app = FastAPI()
    calls = state.setdefault("purchasing", [])

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def any_call(path: str, request: Request) -> Any:
        body = await request.json() if await request.body() else None
        calls.append((request.method, "/" + path, dict(request.query_params), body))
        if path == "health/ready":
            return {"ready": True, "checks": {"database": True}}
        if path.startswith("catalog/"):
            raise HTTPException(404, "not arrived")
        if path.startswith("purchase-orders/") and PO_ID not in path and "from-suggestions" not in path:
            raise HTTPException(404, "no purchase order")
        if path == f"purchase-orders/{PO_ID}/send" and state.get("po_sent"):
            raise HTTPException(409, "purchase order is sent: only a draft can be sent")
        return {"ok": True, "path": path}

    return app
