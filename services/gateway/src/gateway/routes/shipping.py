"""Shipping (shipping service): shipments, ship and deliver, labels and packing slips (PDF),
labels bought at EasyPost, customer notifications; and EasyPost's webhook door (public)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request, Security
from fastapi.responses import Response
from pydantic import Field

from gateway import views
from gateway.auth import require_key
from gateway.downstream import Downstream, downstream
from gateway.schemas import Body, ShipRequest
from gateway.routes.channels import _NOT_FORWARDED

router = APIRouter(prefix="/api", tags=["shipping"], dependencies=[Security(require_key)])
webhooks = APIRouter(tags=["shipping"])
_PDF = {200: {"content": {"application/pdf": {}}}}


class BuyLabelRequest(Body):
    carrier: str | None = Field(default=None, min_length=1, max_length=40, description='EasyPost carrier, e.g. "USPS"')
    service: str | None = Field(default=None, min_length=1, max_length=80, description='e.g. "Priority"')


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


@router.get("/shipments/{shipment_id}/label.pdf", summary="Shipping label (PDF)", response_class=Response,
            description="4x6 in: ship-from, ship-to, order and shipment numbers, weight, Code128 of the tracking "
            "number once there is one (bought or shipped with).", responses=_PDF)
async def label_pdf(shipment_id: UUID, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "GET", f"/shipments/{shipment_id}/label.pdf")


@router.get("/shipments/{shipment_id}/packing-slip.pdf", summary="Packing slip (PDF)", response_class=Response,
            description="A4: every line with SKU, quantity and lot number.", responses=_PDF)
async def packing_slip_pdf(shipment_id: UUID, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "GET", f"/shipments/{shipment_id}/packing-slip.pdf")


@router.post("/shipments/{shipment_id}/buy-label", summary="Buy a label at EasyPost",
             description="The cheapest rate, or the given carrier/service. Once per shipment: a retry answers the "
             "label already bought. Does not ship: confirm with POST /api/shipments/{id}/ship and the answer's "
             "`ship_with` (carrier and tracking number).")
async def buy_label(shipment_id: UUID, body: BuyLabelRequest | None = None,
                    ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "POST", f"/shipments/{shipment_id}/buy-label",
                          json=body.forward() if body else {})


@router.get("/shipments/{shipment_id}/carrier-label", summary="The label bought at EasyPost (its file)",
            response_class=Response, responses={200: {"content": {"application/pdf": {}, "image/png": {}}}})
async def carrier_label(shipment_id: UUID, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "GET", f"/shipments/{shipment_id}/carrier-label")


@webhooks.post("/webhooks/easypost", summary="EasyPost webhook (public)",
               description="Called by EasyPost, not by operators: no API key; the X-Hmac-Signature is its "
               "authentication and is checked by the shipping service, so the raw body and headers are "
               "forwarded byte for byte and the answer returned as is.")
async def easypost_webhook(request: Request, ds: Downstream = Depends(downstream)) -> Response:
    body = await request.body()
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
    resp = await ds.call("shipping", "POST", "/webhooks/easypost", content=body, headers=headers)
    if resp.status_code >= 500:
        # EasyPost retries a failed delivery; nothing internal leaks to it.
        return Response(status_code=502)
    return Response(resp.content, status_code=resp.status_code, media_type=resp.headers.get("content-type"))
