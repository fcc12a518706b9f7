"""Shipping (shipping service): shipments, ship and deliver, customer notifications."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request, Security
from fastapi.responses import Response

from gateway import views
from gateway.auth import require_key
from gateway.downstream import Downstream, downstream
from gateway.models import ShipRequest

router = APIRouter(prefix="/api", tags=["shipping"], dependencies=[Security(require_key)])


@router.get("/shipments", summary="List shipments", description="Filter with `status` or `order_id`.",
            responses={200: {"model": list[views.Shipment]}})
async def list_shipments(request: Request, status: str | None = None, order_id: str | None = None,
                         ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "GET", "/shipments", params=list(request.query_params.multi_items()))


@router.get("/shipments/{shipment_id}", summary="One shipment", responses={200: {"model": views.Shipment}})
async def get_shipment(shipment_id: UUID, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "GET", f"/shipments/{shipment_id}")


@router.post("/shipments/{shipment_id}/ship", summary="Ship (carrier + tracking number)",
             description="Emits Shipped (stock is deducted, the customer is e-mailed, the shop is told).",
             responses={200: {"model": views.Shipment}})
async def ship(shipment_id: UUID, body: ShipRequest, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "POST", f"/shipments/{shipment_id}/ship", json=body.forward())


@router.post("/shipments/{shipment_id}/deliver", summary="Mark delivered", description="Emits Delivered.",
             responses={200: {"model": views.Shipment}})
async def deliver(shipment_id: UUID, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "POST", f"/shipments/{shipment_id}/deliver")


@router.get("/notifications", summary="Customer notifications (e-mails)", description="Filter with `order_id`.")
async def notifications(request: Request, order_id: str | None = None, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "GET", "/notifications", params=list(request.query_params.multi_items()))
