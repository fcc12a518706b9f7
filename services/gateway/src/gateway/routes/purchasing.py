"""Buying (purchasing service): suppliers and their terms, purchase suggestions from the
shortages, purchase orders (draft, send - the supplier is e-mailed -, cancel). Goods are
received at inventory (`POST /api/receipts` with `purchase_order_id` and `po_line`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.responses import Response

from gateway.auth import require_key
from gateway.downstream import Downstream, downstream
from gateway.schemas import (
    FromSuggestions, IdPath, PurchaseOrderCancel, PurchaseOrderCreate, PurchaseOrderStatus, SkuPath, SupplierCreate,
    SupplierTerms,
)

router = APIRouter(prefix="/api", tags=["purchasing"], dependencies=[Security(require_key)])


@router.get("/suppliers", summary="List suppliers with their terms per material")
async def list_suppliers(ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("purchasing", "GET", "/suppliers")


@router.post("/suppliers", status_code=201, summary="Add a supplier (name, contact e-mail, phone)")
async def add_supplier(body: SupplierCreate, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("purchasing", "POST", "/suppliers", json=body.forward())


@router.get("/suppliers/{supplier_id}", summary="One supplier with its terms")
async def get_supplier(supplier_id: IdPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("purchasing", "GET", f"/suppliers/{supplier_id}")


@router.put("/suppliers/{supplier_id}/materials/{sku}", summary="Set a supplier's terms for a material",
            description="Lead time, pack size and minimum (in the material's base unit), price; `preferred` makes "
                        "it the material's supplier for suggestions (the previous one steps down).")
async def set_terms(supplier_id: IdPath, sku: SkuPath, body: SupplierTerms, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("purchasing", "PUT", f"/suppliers/{supplier_id}/materials/{sku}", json=body.forward())


@router.delete("/suppliers/{supplier_id}/materials/{sku}", status_code=204, summary="Remove a supplier's terms")
async def remove_terms(supplier_id: IdPath, sku: SkuPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("purchasing", "DELETE", f"/suppliers/{supplier_id}/materials/{sku}")


@router.get("/suggestions", summary="What to buy, from whom",
            description="Per material: the waiting orders' requirement net of stock and open purchase orders, "
                        "rounded up to whole packs and the supplier's minimum (preferred supplier).")
async def suggestions(ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("purchasing", "GET", "/suggestions")


@router.post("/purchase-orders/from-suggestions", status_code=201, summary="Draft purchase orders from suggestions",
             description="One draft per supplier for the suggested materials (all if `materials` is omitted).")
async def from_suggestions(body: FromSuggestions | None = None, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("purchasing", "POST", "/purchase-orders/from-suggestions",
                          json=body.forward() if body else {})


@router.post("/purchase-orders", status_code=201, summary="Draft a purchase order")
async def create_po(body: PurchaseOrderCreate, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("purchasing", "POST", "/purchase-orders", json=body.forward())


@router.get("/purchase-orders", summary="List purchase orders",
            description="Filter with `status`, `supplier_id`, `material_sku`; `limit` (default 100).")
async def list_pos(request: Request, status: PurchaseOrderStatus | None = None,
                   supplier_id: str | None = Query(None, max_length=100),
                   material_sku: str | None = Query(None, max_length=64), limit: int = Query(100, ge=1, le=500),
                   ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("purchasing", "GET", "/purchase-orders", params=list(request.query_params.multi_items()))


@router.get("/purchase-orders/{po_id}", summary="One purchase order with its lines and receipts")
async def get_po(po_id: IdPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("purchasing", "GET", f"/purchase-orders/{po_id}")


@router.post("/purchase-orders/{po_id}/send", summary="Send a draft to its supplier",
             description="Lines get their expected dates; PurchaseOrderPlaced is published (expected supply for "
                         "inventory, the e-mail to the supplier).")
async def send_po(po_id: IdPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("purchasing", "POST", f"/purchase-orders/{po_id}/send")


@router.post("/purchase-orders/{po_id}/cancel", summary="Cancel a purchase order",
             description="What is not received is no longer expected (PurchaseOrderCancelled).")
async def cancel_po(po_id: IdPath, body: PurchaseOrderCancel | None = None,
                    ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("purchasing", "POST", f"/purchase-orders/{po_id}/cancel", json=body.forward() if body else {})
