"""HTTP API: thin routes over commands (items, receipts) and queries (stock, lots, ledger,
allocations, shortages, plans, traces). Quantities are in each item's base unit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Literal

from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.units import Unit
from eventkit import Runtime
from inventory import purchasing_replica
from inventory.adapters.expected_supply import open_lines as expected_supply_of
from inventory.adapters import queries, quoting, trace
from inventory.adapters.lot_refs import find_lot, lot_or_404
from inventory.commands import Refused, add_item, announce_all, change_item, receive
from inventory.clock import today
from inventory.recall_api import recall_router
from inventory.reorder_rules import reorder_router
from inventory.resumption import resume_for
from inventory.strict_query import reject_unknown_query
from inventory.tables import Item, RecipeReplica
from inventory.schemas import (
    ItemChange, ItemIn, ItemKind, LotOut, MaterialShortageOut, MovementOut, OrderAllocationsOut, PlanOut, QuoteMaterialOut, QuoteOut, ReceiptIn, StockOut,
)




def make_api(rt: Runtime) -> FastAPI:
    # A misspelt filter is refused rather than ignored (strict_query.py).
    app = FastAPI(title="batchflow inventory", version="1", dependencies=[Depends(reject_unknown_query)])


    @app.exception_handler(Refused)
    async def refused(_, exc: Refused) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    @app.exception_handler(IntegrityError)
    async def conflict(_, exc: IntegrityError) -> JSONResponse:
        # A concurrent request created the same item or lot number first.
        return JSONResponse({"detail": f"conflicts with existing data: {exc.orig}"}, status_code=409)

    async def reading() -> AsyncIterator[AsyncSession]:
        async with rt.uow.sessions() as session:
            yield session

    # The item and its ItemDefined commit together: when this answers, the event is in the
    # outbox; the relay publishes it within about a second, and the replicas (orders' order
    # checks, production's recipe checks) have it shortly after. Until then they answer
    # "unknown SKU" and say that the catalog may be catching up.
    @app.post("/items", status_code=201, response_model=Item)
    async def create_item(body: ItemIn) -> Item:
        async with rt.uow.start(correlation_id=body.sku, name="add item") as ctx:
            return await add_item(ctx, body)

    @app.patch("/items/{sku}", response_model=Item)
    async def update_item(sku: str, body: ItemChange) -> Item:
        async with rt.uow.start(correlation_id=sku, name="change item") as ctx:
            item = await change_item(ctx, sku, body)
            if "supplier_lead_time_days" in body.model_fields_set:
                # A supplier's new lead time (a delivery announced late or early) re-dates the
                # lines waiting for this material: their MaterialsShort carry the new date.
                await resume_for(ctx, sku, today())
            return item

    @app.post("/items/announce", response_model=dict)
    async def announce_items() -> dict:
        """Publish ItemDefined for every item again (replicas keep what they have)."""
        async with rt.uow.start(name="announce items") as ctx:
            return {"announced": await announce_all(ctx)}

    @app.get("/items", response_model=list[Item])
    async def list_items(kind: ItemKind | None = None, s: AsyncSession = Depends(reading)):
        query = select(Item).order_by(Item.sku)
        return (await s.execute(query.where(Item.kind == kind) if kind else query)).scalars().all()

    @app.get("/items/{sku}", response_model=Item)
    async def get_item(sku: str, s: AsyncSession = Depends(reading)):
        return _found(await s.get(Item, sku), f"no item {sku}")

    # The recipes as inventory knows them (replicated from production's RecipePublished):
    # what its planning uses, so "why is this order waiting?" can be answered here.
    @app.get("/recipes", response_model=list[RecipeReplica])
    async def list_recipes(s: AsyncSession = Depends(reading)):
        return (await s.execute(select(RecipeReplica).order_by(RecipeReplica.sku))).scalars().all()

    @app.get("/recipes/{sku}", response_model=RecipeReplica)
    async def get_recipe(sku: str, s: AsyncSession = Depends(reading)):
        return _found(await s.get(RecipeReplica, sku), f"inventory knows no recipe for {sku}")

    @app.post("/receipts", status_code=201, response_model=LotOut)
    async def goods_receipt(body: ReceiptIn) -> LotOut:
        # The receipt and the retry of the demand waiting for it commit together; a lock
        # conflict with a concurrent handler (deadlock) retries the whole receipt.
        for attempt in range(RECEIPT_ATTEMPTS):
            try:
                async with rt.uow.start(correlation_id=body.sku, name="goods receipt") as ctx:
                    await purchasing_replica.check_po_line(ctx.session, body, await ctx.session.get(Item, body.sku))
                    lot = await receive(ctx.session, body, today())
                    item = await ctx.session.get(Item, lot.sku)
                    await purchasing_replica.record_receipt(ctx, body, lot, item)
                    await resume_for(ctx, lot.sku, today())
                return queries.lot_out(lot, item.base_unit, today())
            except DBAPIError as exc:
                if attempt + 1 == RECEIPT_ATTEMPTS or not _retryable(exc):
                    raise
        raise AssertionError("unreachable")

    @app.get("/lots", response_model=list[LotOut])
    async def list_lots(sku: str | None = Query(None, max_length=64), lot_no: str | None = Query(None, max_length=64),
                        on_hold: bool | None = None, s: AsyncSession = Depends(reading)):
        """`lot_no`: the number printed on the label (our lot number or the supplier's)."""
        return await queries.lots(s, today(), sku=sku, lot_no=lot_no, on_hold=on_hold)

    # `{lot}`: the lot id or the number printed on its label (adapters/lot_refs.py).
    @app.get("/lots/{lot}", response_model=LotOut)
    async def get_lot(lot: str, s: AsyncSession = Depends(reading)):
        found = await queries.lots(s, today(), lot_id=(await lot_or_404(s, lot)).lot_id)
        return found[0]

    @app.get("/lots/{lot}/trace", response_model=trace.ForwardTrace)
    async def trace_lot(lot: str, s: AsyncSession = Depends(reading)):
        return await trace.forward(s, (await lot_or_404(s, lot)).lot_id)

    @app.get("/stock", response_model=list[StockOut])
    async def get_stock(sku: str | None = None, s: AsyncSession = Depends(reading)):
        return await queries.stock(s, today(), sku)

    @app.get("/ledger", response_model=list[MovementOut])
    async def get_ledger(
        lot_id: str | None = None, sku: str | None = None, limit: int = Query(1000, ge=1, le=10000),
        s: AsyncSession = Depends(reading),
    ):
        lot = await find_lot(s, lot_id) if lot_id else None  # an id or a printed lot number
        return await queries.ledger(s, lot.lot_id if lot else lot_id, sku, limit)

    @app.get("/orders/{order_id}/allocations", response_model=OrderAllocationsOut)
    async def order_allocations(order_id: str, s: AsyncSession = Depends(reading)):
        return _found(await queries.order_allocations(s, order_id), f"inventory has not seen order {order_id}")

    @app.get("/orders/{order_id}/trace", response_model=trace.OrderTrace)
    async def trace_order(order_id: str, s: AsyncSession = Depends(reading)):
        return _found(await trace.backward(s, order_id), f"inventory has not seen order {order_id}")

    @app.get("/expected-supply", response_model=list[dict])
    async def expected_supply(sku: str | None = Query(None, max_length=64), s: AsyncSession = Depends(reading)):
        """Open purchase order lines (purchasing's POs as inventory counts them): open quantity, expected date."""
        return await expected_supply_of(s, sku)

    @app.get("/shortages", response_model=list[MaterialShortageOut])
    async def get_shortages(s: AsyncSession = Depends(reading)):
        return await queries.shortages(s, today())

    @app.get("/quote", response_model=QuoteOut, responses={422: {"description": "unknown SKU, wrong unit, half pieces"}})
    async def get_quote(
        sku: str = Query(min_length=1, max_length=64), quantity: Decimal = Query(gt=0, le=Decimal("1e12")),
        unit: Unit = Query(), from_: date | None = Query(default=None, alias="from"),
        s: AsyncSession = Depends(reading),
    ) -> QuoteOut:
        """Available/capable to promise from stock, planned surplus and materials (no capacity)."""
        _, need, a = await quoting.quote_sku(s, sku, quantity, unit.value, from_ or today())
        item_unit = (await s.get(Item, sku)).base_unit
        return QuoteOut(
            sku=sku, quantity=need, unit=item_unit, basis=a.basis, ready_date=a.ready_date,
            needs_production=a.needs_production, materials_ready_on=a.materials_ready_on,
            lead_time_days=a.lead_time_days, from_stock=a.from_stock, from_plans=a.from_plans, to_make=a.to_make,
            explanation=a.explanation,
            materials=[QuoteMaterialOut(sku=m.sku, required=m.required, available=m.available, missing=m.missing,
                                        unit=m.unit, supplier_lead_time_days=m.supplier_lead_time_days)
                       for m in a.materials],
        )

    @app.get("/plans", response_model=list[PlanOut])
    async def get_plans(
        status: Literal["planned", "completed", "cancelled"] | None = None, s: AsyncSession = Depends(reading)
    ):
        return await queries.plans(s, status)

    app.include_router(recall_router(rt, reading))
    app.include_router(reorder_router(rt, reading))
    return app


RECEIPT_ATTEMPTS = 3


def _retryable(exc: DBAPIError) -> bool:
    """Deadlock or serialization failure (SQLSTATE class 40): the transaction can simply run again."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return bool(code) and str(code).startswith("40")


def _found(value, detail: str):
    if value is None:
        raise HTTPException(404, detail)
    return value
