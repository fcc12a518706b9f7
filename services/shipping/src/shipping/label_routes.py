"""HTTP: the parcel's papers (`GET /shipments/{id}/label.pdf`, `/packing-slip.pdf`), buying a
label at EasyPost (`POST /shipments/{id}/buy-label`), the bought label's file
(`GET /shipments/{id}/carrier-label`) and EasyPost's webhook (carrier_webhooks.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel, Field

from eventkit import Runtime
from shipping import carrier_webhooks, labels
from shipping.carrier_records import CarrierLabel
from shipping.documents import render_label, render_packing_slip

_PDF = {200: {"content": {"application/pdf": {}}}, 404: {}}


class BuyLabelRequest(BaseModel):
    """Both optional: without them the cheapest rate of a carrier we ship with is bought."""

    carrier: str | None = Field(default=None, min_length=1, max_length=40, description='EasyPost carrier, e.g. "USPS"')
    service: str | None = Field(default=None, min_length=1, max_length=80, description='e.g. "Priority"')


class ShipWith(BaseModel):
    carrier: str
    tracking_no: str


class LabelOut(BaseModel):
    shipment_id: uuid.UUID
    provider: str
    provider_shipment_id: str
    carrier: str | None
    service: str | None
    rate: Decimal | None
    currency: str | None
    tracking_no: str | None
    tracking_url: str | None
    tracking_status: str | None
    label_url: str | None
    label_file: bool  # the file is kept here (GET /shipments/{id}/carrier-label)
    bought_at: datetime | None
    # What to post to /shipments/{id}/ship to confirm that the parcel left with this label.
    ship_with: ShipWith | None


def label_out(label: CarrierLabel) -> LabelOut:
    ship_with = ShipWith(carrier=label.carrier, tracking_no=label.tracking_no) if label.bought_at else None
    return LabelOut(**label.model_dump(exclude={"label_file", "public_url"}), tracking_url=label.public_url,
                    label_file=label.label_file is not None, ship_with=ship_with)


def _pdf(content: bytes, name: str) -> Response:
    return Response(content, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


def routes(rt: Runtime) -> APIRouter:
    router = APIRouter(tags=["labels"])

    async def parcel(shipment_id: uuid.UUID) -> labels.Parcel:
        async with rt.uow.sessions() as session:
            try:
                return await labels.parcel_of(session, shipment_id)
            except labels.UnknownShipment as exc:
                raise HTTPException(404, str(exc)) from None

    @router.get("/shipments/{shipment_id}/label.pdf", response_class=Response, responses=_PDF,
                summary="Shipping label (4x6 in PDF; Code128 of the tracking number once there is one)")
    async def label_pdf(shipment_id: uuid.UUID) -> Response:
        papers = labels.papers(await parcel(shipment_id), rt.settings)
        return _pdf(render_label(papers), f"label-{papers.shipment_no.replace('/', '-')}.pdf")

    @router.get("/shipments/{shipment_id}/packing-slip.pdf", response_class=Response, responses=_PDF,
                summary="Packing slip (A4 PDF: lines with SKU, quantity, lot)")
    async def packing_slip_pdf(shipment_id: uuid.UUID) -> Response:
        papers = labels.papers(await parcel(shipment_id), rt.settings)
        return _pdf(render_packing_slip(papers), f"packing-slip-{papers.shipment_no.replace('/', '-')}.pdf")

    @router.post("/shipments/{shipment_id}/buy-label", response_model=LabelOut,
                 responses={404: {}, 409: {}, 422: {}, 502: {}, 503: {}},
                 summary="Buy a label at EasyPost (once per shipment; a retry answers the bought one)")
    async def buy_label(shipment_id: uuid.UUID, body: BuyLabelRequest | None = None) -> LabelOut:
        body = body or BuyLabelRequest()
        try:
            label = await labels.buy_label(rt, shipment_id, body.carrier, body.service)
        except labels.UnknownShipment as exc:
            raise HTTPException(404, str(exc)) from None
        except labels.LabelRefused as exc:
            raise HTTPException(exc.status, exc.reason) from None
        return label_out(label)

    @router.get("/shipments/{shipment_id}/carrier-label", response_class=Response,
                responses={200: {"content": {"application/pdf": {}, "image/png": {}}}, 404: {}},
                summary="The label bought at EasyPost, as its file")
    async def carrier_label(shipment_id: uuid.UUID) -> Response:
        label = (await parcel(shipment_id)).label
        if label is None or label.bought_at is None:
            raise HTTPException(404, f"no label bought for shipment {shipment_id}")
        if label.label_file is None:
            raise HTTPException(404, f"the label file was not fetched; it is at {label.label_url}")
        return Response(label.label_file, media_type=label.label_content_type or "application/octet-stream")

    router.include_router(carrier_webhooks.routes(rt))
    return router
