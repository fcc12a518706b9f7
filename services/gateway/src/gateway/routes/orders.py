"""Orders: place, list, the composed order view and its backward trace."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Security
from fastapi.responses import Response

from gateway import compose, views
from gateway.auth import require_key
from gateway.downstream import Downstream, downstream
from gateway.schemas import CancelRequest, OrderCreate, OrderId

router = APIRouter(prefix="/api", tags=["orders"], dependencies=[Security(require_key)])


@router.post(
    "/orders",
    status_code=201,
    summary="Place an order",
    description="Forwarded to the orders service, which emits OrderPlaced and starts the saga.",
    responses={201: {"model": views.Order}},
)
async def place_order(body: OrderCreate, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("orders", "POST", "/orders", json=body.forward())


@router.post(
    "/orders/{order_id}/cancel",
    summary="Cancel an order before it ships",
    description="Emits OrderCancelled: allocations and promises are released, a planned batch nobody else "
    "needs is cancelled (or shrunk), a prepared shipment is withdrawn; the timeline shows each step. "
    "409 once anything was shipped; cancelling twice is harmless.",
    responses={200: {"model": views.Order}},
)
async def cancel_order(order_id: OrderId, body: CancelRequest | None = None, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("orders", "POST", f"/orders/{order_id}/cancel", json=(body or CancelRequest()).forward())


@router.get(
    "/orders",
    summary="List orders",
    description="Query parameters (e.g. `status`) are passed through to the orders service.",
    responses={200: {"model": views.OrderPage}},
)
async def list_orders(request: Request, status: str | None = None, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("orders", "GET", "/orders", params=list(request.query_params.multi_items()))


@router.get(
    "/orders/{order_id}",
    summary="Where is my order? (composed view)",
    description="The order with its status timeline, plus its allocations (inventory), the batches "
    "covering it (production) and its shipments (shipping). If one of those services is down, its "
    "part is empty and `unavailable` says why.",
    response_model=views.OrderView,
)
async def get_order(order_id: OrderId, ds: Downstream = Depends(downstream)) -> dict:
    return await compose.order_view(ds, order_id)


@router.get(
    "/orders/{order_id}/trace",
    summary="Backward trace of an order",
    description="Order -> shipments -> finished lots -> batches -> ingredient lots -> supplier lots.",
    response_model=views.BackwardTrace,
)
async def trace_order(order_id: OrderId, ds: Downstream = Depends(downstream)) -> dict:
    return await compose.backward_trace(ds, order_id)


@router.get(
    "/review/orders",
    summary="Channel orders waiting for review",
    description="Shop orders not placed because a line failed the catalog checks (unknown or unsold SKU, unit, "
    "half pieces, implausible quantity), each with its reasons. `limit`, `offset`.",
)
async def review_orders(request: Request, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("orders", "GET", "/review/orders", params=list(request.query_params.multi_items()))
