"""Stub services for the gateway tests: each service's base URL is routed to a small FastAPI
app standing in for it (or to nothing, which is a refused connection)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

OPERATOR = {"X-API-Key": "op-key"}
VIEWER = {"X-API-Key": "view-key"}

ORDER_ID = "ord-1"
LOT_ID = "5b0f0c39-0d7c-4c35-9d39-5a2f6b1d7a10"
BATCH_ID = "0d3b8a51-7f0e-4a8e-9a5b-0c1e2d3f4a5b"


class StubNetwork(httpx.AsyncBaseTransport):
    """Routes a request by host name to the stub app of that service; an unknown or removed
    host behaves like a service that is down (connection refused)."""

    def __init__(self, apps: dict[str, FastAPI]) -> None:
        self.apps = dict(apps)
        self.calls: list[tuple[str, str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self.calls.append((host, request.method, request.url.path))
        app = self.apps.get(host)
        if app is None:
            raise httpx.ConnectError("connection refused", request=request)
        return await httpx.ASGITransport(app=app, raise_app_exceptions=False).handle_async_request(request)


def orders_stub(state: dict[str, Any]) -> FastAPI:
    app = FastAPI()
    orders = state.setdefault("orders", {})

    @app.post("/orders", status_code=201)
    async def place(body: dict) -> dict:
        state["placed"] = body
        return {"order_id": "ord-new", "order_no": "SO-0002", "status": "received", **body}

    @app.get("/orders")
    async def list_orders(request: Request) -> dict:
        state["list_params"] = dict(request.query_params)
        return {"items": list(orders.values()), "total": len(orders), "limit": 50, "offset": 0}

    @app.get("/order-contacts")
    async def contacts(order_id: list[str] = Query()) -> list[dict]:
        return [{k: orders[o].get(k) for k in ("order_id", "order_no", "status", "customer")}
                for o in sorted(set(order_id)) if o in orders]

    @app.get("/orders/{order_id}")
    async def get(order_id: str) -> dict:
        if order_id not in orders:
            raise HTTPException(404, f"order {order_id} not found")
        return orders[order_id]

    @app.get("/health/ready")
    async def ready() -> dict:
        return {"ready": True, "checks": {"database": True}}

    return app


def inventory_stub(state: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.post("/items", status_code=201)
    async def create_item(body: dict) -> dict:
        if body["sku"] == "DUP":
            raise HTTPException(409, "item DUP exists")
        return body

    @app.get("/orders/{order_id}/allocations")
    async def allocations(order_id: str) -> dict:
        if order_id != ORDER_ID:
            raise HTTPException(404, f"inventory has not seen order {order_id}")
        return {"order_id": order_id, "order_no": "SO-0001", "fully_allocated": False,
                "lines": [{"line_no": 1, "sku": "LIP", "allocated": "10", "waiting": "5", "reason": "materials short"}],
                "allocations": [{"allocation_id": "a1", "line_no": 1, "lot_no": "B250101-0001", "quantity": "10"}]}

    @app.get("/orders/{order_id}/trace")
    async def order_trace(order_id: str) -> dict:
        return {"order_id": order_id, "lots": [{"lot_no": "B250101-0001", "ingredients": [{"supplier_lot_no": "S-9"}]}]}

    @app.get("/lots/{lot_id}/trace")
    async def lot_trace(lot_id: str) -> dict:
        # Shea butter lot -> batch B1 -> finished lot B1 -> two orders (the shape inventory answers).
        finished = {"lot": {"lot_id": "f-1", "sku": "LIP", "lot_no": "B1"}, "consumed_by": [], "reserved_by_plans": [],
                    "orders": [{"order_id": ORDER_ID, "order_no": "SO-0001", "customer": "Ada", "line_no": 1,
                                "quantity": "10", "shipped": "10", "status": "shipped"},
                               {"order_id": "ord-2", "order_no": "SO-0009", "customer": "Cy", "line_no": 1,
                                "quantity": "5", "shipped": "0", "status": "open"}]}
        return {"lot": {"lot_id": lot_id, "sku": "SHEA", "lot_no": "L-1"},
                "consumed_by": [{"batch_id": "b-1", "batch_no": "B1", "consumed": "1.2", "finished_lots": [finished]}],
                "reserved_by_plans": [], "orders": []}

    @app.get("/health/ready")
    async def ready() -> dict:
        return {"ready": True}

    return app


def production_stub(state: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/orders/{order_id}/batches")
    async def batches(order_id: str) -> list:
        return [{"batch_id": BATCH_ID, "batch_no": "B250101-0001", "status": "scheduled"}]

    @app.get("/batches/{batch_id}")
    async def batch(batch_id: str) -> dict:
        if batch_id != BATCH_ID:
            raise HTTPException(404, f"batch {batch_id} not found")
        return {"batch_id": BATCH_ID, "batch_no": "B250101-0001", "status": "planned",
                "covers": [{"order_id": ORDER_ID, "line_no": 1, "quantity": "10"},
                           {"order_id": "ord-unknown", "line_no": 2, "quantity": "5"}]}

    @app.post("/batches/{batch_id}/start")
    async def start(batch_id: str) -> dict:
        raise HTTPException(409, "batch B250101-0001 is completed; it cannot start")

    @app.post("/batches/{batch_id}/complete")
    async def complete(batch_id: str) -> dict:
        raise RuntimeError("bug in production")

    @app.get("/health/ready")
    async def ready() -> dict:
        return {"ready": True}

    return app


def shipping_stub(state: dict[str, Any]) -> FastAPI:
    app = FastAPI()
    shipments = [{"shipment_id": "s1", "order_id": ORDER_ID, "status": "prepared"},
                 {"shipment_id": "s2", "order_id": "other", "status": "shipped"}]

    @app.get("/shipments")
    async def list_shipments(order_id: str | None = None) -> list:
        return [s for s in shipments if order_id is None or s["order_id"] == order_id]

    @app.get("/health/ready")
    async def ready() -> dict:
        return {"ready": True}

    return app


def channels_stub(state: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.post("/connectors/{channel}/{shop}/sku-map")
    async def sku_map(channel: str, shop: str, body: dict) -> list:
        state["sku_map"] = body
        return [{"ref": k, "sku": v if isinstance(v, str) else v.get("sku")} for k, v in body.items()]

    @app.post("/webhooks/{channel}/{shop}", status_code=202)
    async def webhook(channel: str, shop: str, request: Request) -> dict:
        state["webhook"] = {"body": await request.body(), "headers": dict(request.headers), "path": (channel, shop)}
        if request.headers.get("x-shopify-hmac-sha256") != "good":
            raise HTTPException(401, "bad signature")
        return {"accepted": True}

    @app.get("/health/ready")
    async def ready() -> dict:
        return {"ready": True}

    @app.get("/orders/{order_id}/shop-order")
    async def shop_order_of(order_id: str) -> dict:
        state.setdefault("shop_order_asked", []).append(order_id)
        if order_id != "ord-shop":
            raise HTTPException(404, f"order {order_id} did not come from a shop")
        return {"shop_order_id": "5b0f0c39-0d7c-4c35-9d39-5a2f6b1d7a12", "channel": "shopify", "shop": "acme",
                "external_id": "450789469", "reference": "#1001",
                "lines": [{"line_no": 1, "external_sku": "ipod2008green", "sku": "IPOD2008GREEN", "per_item": "1",
                           "quantity": "1", "matched_on": "catalog"}]}

    @app.api_route("/{path:path}", methods=["GET", "POST", "DELETE"])
    async def anything(path: str, request: Request) -> Response:
        # Every other channels call is recorded as it arrived (the tests assert the path,
        # method, query and body the gateway relayed) and answered like the service would.
        body = await request.body()
        state.setdefault("channels_calls", []).append(
            # raw_path: the path as sent, still percent-encoded.
            {"method": request.method, "path": request.scope["raw_path"].decode(), "query": dict(request.query_params),
             "body": json.loads(body) if body else None})
        if "missing" in path:
            raise HTTPException(404, "no such connector")
        if request.method == "DELETE":
            return Response(status_code=204)
        return JSONResponse({"relayed": request.scope["raw_path"].decode()})

    return app
