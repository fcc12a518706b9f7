"""HTTP API: suppliers and their terms, purchase orders (draft, send, cancel), suggestions
and the one click from suggestions to draft POs. Routes are thin: the modules own the rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from eventkit import Runtime
from purchasing import catalog, purchase_orders as pos, suggestions as sug, suppliers as sup
from purchasing.domain.status import Status
from purchasing.errors import Refused
from purchasing.schemas import (
    CancelIn, FromSuggestionsIn, PurchaseOrderIn, PurchaseOrderOut, SuggestionOut, SupplierIn, SupplierOut, TermsIn,
    TermsOut,
)

SkuPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]
IdPath = Annotated[str, Path(min_length=1, max_length=100)]


def only(*allowed: str) -> Callable:
    """A dependency refusing query parameters the endpoint does not know: a mistyped filter
    must not silently return everything."""
    def check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - set(allowed))
        if unknown:
            raise HTTPException(422, f"unknown query parameter(s): {', '.join(unknown)}; allowed: {', '.join(allowed) or 'none'}")
    return Depends(check)


def make_api(rt: Runtime) -> FastAPI:
    app = FastAPI(title="batchflow purchasing", version="1")
    settings = rt.settings

    @app.exception_handler(Refused)
    async def _refused(_, exc: Refused) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    # -- suppliers ---------------------------------------------------------------------------
    @app.get("/suppliers", response_model=list[SupplierOut], dependencies=[only()])
    async def list_suppliers() -> list[SupplierOut]:
        async with rt.uow.sessions() as session:
            return await sup.suppliers(session)

    @app.post("/suppliers", response_model=SupplierOut, status_code=201)
    async def add_supplier(body: SupplierIn) -> SupplierOut:
        async with rt.uow.start(name="add supplier") as ctx:
            return await sup.add_supplier(ctx.session, body)

    @app.get("/suppliers/{supplier_id}", response_model=SupplierOut)
    async def get_supplier(supplier_id: IdPath) -> SupplierOut:
        async with rt.uow.sessions() as session:
            return await sup.supplier(session, supplier_id)

    @app.put("/suppliers/{supplier_id}/materials/{sku}", response_model=TermsOut)
    async def set_terms(supplier_id: IdPath, sku: SkuPath, body: TermsIn) -> TermsOut:
        async with rt.uow.start(name="set supplier terms") as ctx:
            return await sup.set_terms(ctx.session, supplier_id, sku, body)

    @app.delete("/suppliers/{supplier_id}/materials/{sku}", status_code=204)
    async def remove_terms(supplier_id: IdPath, sku: SkuPath) -> Response:
        async with rt.uow.start(name="remove supplier terms") as ctx:
            await sup.remove_terms(ctx.session, supplier_id, sku)
        return Response(status_code=204)

    @app.get("/catalog/{sku}")
    async def catalog_item(sku: SkuPath) -> dict:
        async with rt.uow.sessions() as session:
            found = await catalog.catalog_item(session, sku)
        if found is None:
            raise HTTPException(404, f"{sku} has not arrived in purchasing's catalog")
        return found

    # -- suggestions -------------------------------------------------------------------------
    @app.get("/suggestions", response_model=list[SuggestionOut], dependencies=[only()])
    async def suggestions() -> list[SuggestionOut]:
        async with rt.uow.sessions() as session:
            return await sug.suggestions(session, pos.today())

    @app.post("/purchase-orders/from-suggestions", status_code=201)
    async def from_suggestions(body: FromSuggestionsIn | None = None) -> dict:
        async with rt.uow.start(name="purchase orders from suggestions") as ctx:
            created, skipped = await sug.draft_from_suggestions(
                ctx.session, settings, pos.today(), body.materials if body else None)
        async with rt.uow.sessions() as session:
            return {"purchase_orders": [await pos.purchase_order(session, i) for i in created], "skipped": skipped}

    # -- purchase orders ---------------------------------------------------------------------
    @app.post("/purchase-orders", response_model=PurchaseOrderOut, status_code=201)
    async def create(body: PurchaseOrderIn) -> PurchaseOrderOut:
        async with rt.uow.start(name="draft purchase order") as ctx:
            po_id = await pos.create(ctx.session, settings, body)
        return await _get(po_id)

    @app.get("/purchase-orders", response_model=list[PurchaseOrderOut],
             dependencies=[only("status", "supplier_id", "material_sku", "limit")])
    async def list_pos(status: Status | None = None, supplier_id: str | None = Query(None, max_length=100),
                       material_sku: str | None = Query(None, max_length=64),
                       limit: int = Query(100, ge=1, le=500)) -> list[PurchaseOrderOut]:
        async with rt.uow.sessions() as session:
            return await pos.purchase_orders(session, status, supplier_id, material_sku, limit)

    @app.get("/purchase-orders/{po_id}", response_model=PurchaseOrderOut)
    async def get_po(po_id: IdPath) -> PurchaseOrderOut:
        return await _get(po_id)

    @app.post("/purchase-orders/{po_id}/send", response_model=PurchaseOrderOut)
    async def send(po_id: IdPath) -> PurchaseOrderOut:
        async with rt.uow.start(correlation_id=po_id, name="send purchase order") as ctx:
            await pos.send(ctx, po_id, pos.today())
        return await _get(po_id)

    @app.post("/purchase-orders/{po_id}/cancel", response_model=PurchaseOrderOut)
    async def cancel(po_id: IdPath, body: CancelIn | None = None) -> PurchaseOrderOut:
        async with rt.uow.start(correlation_id=po_id, name="cancel purchase order") as ctx:
            await pos.cancel(ctx, po_id, body.reason if body else "")
        return await _get(po_id)

    async def _get(po_id: str) -> PurchaseOrderOut:
        async with rt.uow.sessions() as session:
            return await pos.purchase_order(session, po_id)

    return app
