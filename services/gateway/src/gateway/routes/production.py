"""Production (production service): recipes, the batch queue, starting and completing batches."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request, Security
from fastapi.responses import Response

from gateway import compose, views
from gateway.auth import require_key
from gateway.downstream import Downstream, downstream
from gateway.schemas import BatchComplete, RecipeCreate, SkuPath, BatchCancelRequest

router = APIRouter(prefix="/api", tags=["production"], dependencies=[Security(require_key)])


@router.post("/recipes", status_code=201, summary="Publish a recipe (bill of materials)",
             description="Stored as the next recipe version; production emits RecipePublished.",
             responses={201: {"model": views.Recipe}})
async def publish_recipe(body: RecipeCreate, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("production", "POST", "/recipes", json=body.forward())


@router.get("/recipes", summary="List recipes in force", responses={200: {"model": list[views.Recipe]}})
async def list_recipes(request: Request, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("production", "GET", "/recipes", params=list(request.query_params.multi_items()))


@router.get("/recipes/{sku}", summary="The recipe in force for a product", responses={200: {"model": views.Recipe}})
async def get_recipe(sku: SkuPath, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("production", "GET", f"/recipes/{sku}")


@router.get("/batches", summary="Production queue (batches)", description="Filter with `status`.",
            responses={200: {"model": list[views.Batch]}})
async def list_batches(request: Request, status: str | None = None, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("production", "GET", "/batches", params=list(request.query_params.multi_items()))


@router.get("/batches/{batch_id}", summary="One batch (orders covered, materials)",
            description="Each order covered carries its `order_no` (from the orders service; null when it "
            "does not know the order or does not answer).", responses={200: {"model": views.Batch}})
async def get_batch(batch_id: UUID, ds: Downstream = Depends(downstream)) -> dict:
    return await compose.batch_view(ds, str(batch_id))


@router.post("/batches/{batch_id}/start", summary="Start a batch", description="Emits BatchStarted; 409 if "
             "the batch is not in a state that can start.", responses={200: {"model": views.Batch}})
async def start_batch(batch_id: UUID, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("production", "POST", f"/batches/{batch_id}/start")


@router.post("/batches/{batch_id}/cancel", summary="Cancel a planned batch",
             description="Emits BatchCancelled: its material reservations are released and the orders it covered "
             "are planned again; 409 unless the batch is planned.", responses={200: {"model": views.Batch}})
async def cancel_batch(batch_id: UUID, body: BatchCancelRequest, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("production", "POST", f"/batches/{batch_id}/cancel", json=body.forward())


@router.post("/batches/{batch_id}/complete", summary="Complete a batch",
             description="Records output, waste and actual consumption (defaults: the reserved lots); "
             "emits BatchCompleted, which creates the finished lot.", responses={200: {"model": views.Batch}})
async def complete_batch(batch_id: UUID, body: BatchComplete, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("production", "POST", f"/batches/{batch_id}/complete", json=body.forward())
