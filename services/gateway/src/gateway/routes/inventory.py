"""Catalog and stock (inventory service): items, goods receipts, lots, ledger, shortages,
production plans, the forward trace of a lot (the recall list), holds and recalls. A lot is
named by its id or by the number printed on its label."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.responses import Response

from gateway import compose, views
from gateway.auth import require_key
from gateway.downstream import Downstream, downstream
from gateway.schemas import (
    HoldIn, ItemChange, ItemCreate, LotRef, OrderId, ReceiptCreate, RecallCloseIn, RecallCustomerIn, RecallId, RecallIn,
    ReleaseIn, ReorderRuleIn, SkuPath,
)

router = APIRouter(prefix="/api", tags=["catalog and stock"], dependencies=[Security(require_key)])


def _params(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


@router.post("/items", status_code=201, summary="Create an item (raw material or finished good)",
             responses={201: {"model": views.Item}})
async def create_item(body: ItemCreate, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "POST", "/items", json=body.forward())


@router.get("/items", summary="List items", responses={200: {"model": list[views.Item]}})
async def list_items(request: Request, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", "/items", params=_params(request))


@router.get("/items/{sku}", summary="One item", responses={200: {"model": views.Item}})
async def get_item(sku: SkuPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", f"/items/{sku}")


@router.patch("/items/{sku}", summary="Change an item (name, bound, active...; kind and unit are fixed)",
              description="Announced as ItemDefined with the next revision; the replicas follow within about a second.",
              responses={200: {"model": views.Item}})
async def change_item(sku: SkuPath, body: ItemChange, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "PATCH", f"/items/{sku}", json=body.forward())


@router.get("/items/{sku}/replicas", summary="Where an item (and its recipe) has arrived",
            description="Inventory owns items; orders (checks order lines) and production (checks recipes) keep "
            "replicas fed by ItemDefined, and inventory replicates recipes. Right after creating an item the "
            "replicas may lag by about a second: `everywhere` says when orders, recipes and purchase orders may use it.")
async def item_replicas(sku: SkuPath, ds: Downstream = Depends(downstream)) -> dict:
    return await compose.item_replicas(ds, sku)


@router.post("/receipts", status_code=201, summary="Receive goods (creates a lot)",
             description="A supplier delivery: one lot with its supplier lot number and expiry.",
             responses={201: {"model": views.Lot}})
async def receive(body: ReceiptCreate, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "POST", "/receipts", json=body.forward())


@router.get("/lots", summary="List lots",
            description="Filter with `sku`, or `lot_no`: the number printed on the label (ours or the supplier's).",
            responses={200: {"model": list[views.Lot]}})
async def list_lots(request: Request, sku: str | None = Query(None, max_length=64),
                    lot_no: str | None = Query(None, max_length=64), ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", "/lots", params=_params(request))


@router.get("/lots/{lot}", summary="One lot (by id or printed lot number)", responses={200: {"model": views.Lot}})
async def get_lot(lot: LotRef, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", f"/lots/{lot}")


@router.get("/lots/{lot}/trace", summary="Forward trace of a lot (recall list)",
            description="Lot (id or printed lot number) -> batches that consumed it -> finished lots -> orders, and "
            "for each order its customer from the orders service.", response_model=views.ForwardTrace)
async def trace_lot(lot: LotRef, ds: Downstream = Depends(downstream)) -> dict:
    return await compose.forward_trace(ds, lot)


@router.post("/lots/{lot}/hold", summary="Put a lot on hold (quality hold)",
             description="Never allocated, reserved nor consumed until released; goods already allocated in it wait "
             "and shipments carrying it are blocked. 409 when held already (with the reason).",
             responses={200: {"model": views.Lot}})
async def hold_lot(lot: LotRef, body: HoldIn, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "POST", f"/lots/{lot}/hold", json=body.forward())


@router.post("/lots/{lot}/release", summary="End a quality hold",
             description="Waiting orders are offered the stock at once. A lot held by a recall is released by "
             "closing the recall (409).", responses={200: {"model": views.Lot}})
async def release_lot(lot: LotRef, body: ReleaseIn | None = None, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "POST", f"/lots/{lot}/release", json=body.forward() if body else {})


@router.post("/recalls", status_code=201, summary="Open a recall on a lot",
             description="The lot (id or printed number) and every lot made from it go on hold; customers who "
             "received goods of them are e-mailed once; prepared shipments carrying them are blocked.")
async def open_recall(body: RecallIn, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "POST", "/recalls", json=body.forward())


@router.get("/recalls", summary="Recalls", description="Filter with `status` (open, closed).")
async def list_recalls(request: Request, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", "/recalls", params=_params(request))


@router.get("/recalls/{recall_id}", summary="One recall: held lots with their remaining stock, customers and their state")
async def get_recall(recall_id: RecallId, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", f"/recalls/{recall_id}")


@router.post("/recalls/{recall_id}/customers/{order_id}", summary="A recall customer acknowledged or returned the goods")
async def recall_customer(recall_id: RecallId, order_id: OrderId, body: RecallCustomerIn,
                          ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "POST", f"/recalls/{recall_id}/customers/{order_id}", json=body.forward())


@router.post("/recalls/{recall_id}/close", summary="Close a recall: dispose of or release the remaining stock",
             description="Refused (409) while a customer has neither acknowledged nor returned the goods.")
async def close_recall(recall_id: RecallId, body: RecallCloseIn, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "POST", f"/recalls/{recall_id}/close", json=body.forward())


@router.get("/stock", summary="Stock per item (on hand, reserved, allocated, available)",
            responses={200: {"model": list[views.StockLine]}})
async def stock(request: Request, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", "/stock", params=_params(request))


@router.get("/ledger", summary="Stock ledger (movements)", description="Filter with `lot_id` (id or printed lot number) or `sku`.")
async def ledger(request: Request, sku: str | None = None, lot_id: str | None = Query(None, max_length=100),
                 ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", "/ledger", params=_params(request))


@router.get("/shortages", summary="Material shortages (what to buy, for which orders)")
async def shortages(request: Request, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", "/shortages", params=_params(request))


@router.get("/plans", summary="Production plans and what is promised against them")
async def plans(request: Request, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", "/plans", params=_params(request))


# --- make to stock ----------------------------------------------------------------------------
@router.put("/reorder-rules/{sku}", summary="Set an item's reorder point (make to stock)",
            description="Below the point (free stock + planned batches' unpromised output, or + open purchase orders "
            "for a material) a batch for stock is planned, or a purchase suggested, once per crossing. Checked at once.")
async def put_reorder_rule(sku: SkuPath, body: ReorderRuleIn, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "PUT", f"/reorder-rules/{sku}", json=body.forward())


@router.get("/reorder-rules", summary="Reorder rules with each item's position and status")
async def reorder_rules(ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", "/reorder-rules")


@router.get("/reorder-rules/{sku}", summary="One item's reorder rule and position")
async def reorder_rule(sku: SkuPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", f"/reorder-rules/{sku}")


@router.delete("/reorder-rules/{sku}", status_code=204, summary="Remove an item's reorder rule")
async def delete_reorder_rule(sku: SkuPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "DELETE", f"/reorder-rules/{sku}")


@router.post("/reorder-rules/review", summary="Check every reorder rule now (e.g. daily, for lots that expired)")
async def review_reorder_rules(ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "POST", "/reorder-rules/review")


@router.get("/replenishments", summary="Replenishments raised by reorder points (batches for stock, purchases)",
            description="Filter with `sku`, `status` (planned, waiting, suggested, closed), `limit`.")
async def replenishments(request: Request, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("inventory", "GET", "/replenishments", params=_params(request))
