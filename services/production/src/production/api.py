"""The production HTTP API: thin routes over the commands (writes) and the adapters (reads)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from eventkit import Runtime
from production import clock, commands
from production.adapters import batches, catalog, recipes
from production.schemas import (
    BatchDetail,
    BatchOut,
    CancelIn,
    CapacityOut,
    FirstFreeOut,
    CompleteIn,
    DayCapacityOut,
    LotOut,
    RecipeIn,
    RecipeOut,
)
from production.domain.completion import reserved_by_lot
from production.domain.lifecycle import BatchStatus
from production.domain.scheduling import capacity_calendar, first_free_day




def make_api(rt: Runtime) -> FastAPI:
    app = FastAPI(title="batchflow production", version="1")


    uow = rt.uow
    per_day = getattr(rt.settings, "batches_per_day", 4)
    horizon = getattr(rt.settings, "capacity_horizon_days", 14)

    @app.exception_handler(commands.NotFound)
    async def _not_found(_: Request, exc: commands.NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(commands.Conflict)
    async def _conflict(_: Request, exc: commands.Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(commands.Invalid)
    async def _invalid(_: Request, exc: commands.Invalid) -> JSONResponse:
        return JSONResponse({"detail": exc.reasons}, status_code=422)

    # -- recipes --------------------------------------------------------------------------
    @app.post("/recipes", status_code=201, response_model=RecipeOut, tags=["recipes"])
    async def publish_recipe(body: RecipeIn) -> RecipeOut:
        return RecipeOut(**await commands.publish_recipe(uow, body.spec()))

    @app.get("/recipes", response_model=list[RecipeOut], tags=["recipes"])
    async def list_recipes() -> list[RecipeOut]:
        async with uow.sessions() as s:
            return [RecipeOut(**r) for r in await recipes.current_all(s)]

    @app.get("/recipes/{sku}", response_model=RecipeOut, tags=["recipes"])
    async def get_recipe(sku: str) -> RecipeOut:
        async with uow.sessions() as s:
            row = await recipes.current(s, sku)
        if row is None:
            raise commands.NotFound(f"no recipe for {sku}")
        return RecipeOut(**row)

    # The catalog replica recipes are checked against (inventory's ItemDefined): tools and
    # tests poll it after creating an item instead of guessing how long the relay takes.
    @app.get("/catalog/{sku}", tags=["recipes"])
    async def catalog_item(sku: str) -> dict:
        async with uow.sessions() as s:
            found = await catalog.item(s, sku)
        if found is None:
            raise commands.NotFound(f"production has not (yet) seen item {sku}")
        return found

    # -- batches --------------------------------------------------------------------------
    async def _with_covers(s, found: Sequence[batches.Batch]) -> list[BatchOut]:
        covered = await batches.covers(s, [b.batch_id for b in found])
        return [BatchOut.of(b, covered[b.batch_id]) for b in found]

    async def _detail(batch_id: str) -> BatchDetail:
        async with uow.sessions() as s:
            batch = await batches.get(s, batch_id)
            if batch is None:
                raise commands.NotFound(f"no batch {batch_id}")
            covered = (await batches.covers(s, [batch_id]))[batch_id]
            reserved = reserved_by_lot(await batches.reservations(s, batch_id))
            consumed = await batches.consumption(s, batch_id)
        return BatchDetail(
            **BatchOut.of(batch, covered).model_dump(),
            reserved_materials=[LotOut.of(x) for x in reserved],
            consumed_materials=[LotOut.of(x) for x in consumed],
        )

    @app.get("/batches", response_model=list[BatchOut], tags=["batches"])
    async def list_batches(status: BatchStatus | None = None, sku: str | None = None) -> list[BatchOut]:
        async with uow.sessions() as s:
            return await _with_covers(s, await batches.find(s, status.value if status else None, sku))

    @app.get("/batches/{batch_id}", response_model=BatchDetail, tags=["batches"])
    async def get_batch(batch_id: str) -> BatchDetail:
        return await _detail(batch_id)

    @app.post("/batches/{batch_id}/start", response_model=BatchDetail, tags=["batches"])
    async def start_batch(batch_id: str) -> BatchDetail:
        await commands.start_batch(uow, batch_id)
        return await _detail(batch_id)

    @app.post("/batches/{batch_id}/complete", response_model=BatchDetail, tags=["batches"])
    async def complete_batch(batch_id: str, body: CompleteIn) -> BatchDetail:
        done = commands.Completion(
            output_quantity=body.output_quantity,
            waste_quantity=body.waste_quantity,
            consumption=None if body.consumption is None else [(c.lot_id, c.quantity) for c in body.consumption],
            expiry_date=body.expiry_date,
        )
        await commands.complete_batch(uow, batch_id, done)
        return await _detail(batch_id)

    @app.post("/batches/{batch_id}/cancel", response_model=BatchDetail, tags=["batches"])
    async def cancel_batch(batch_id: str, body: CancelIn) -> BatchDetail:
        await commands.cancel_batch(uow, batch_id, body.reason.strip())
        return await _detail(batch_id)

    @app.get("/orders/{order_id}/batches", response_model=list[BatchOut], tags=["batches"])
    async def order_batches(order_id: str) -> list[BatchOut]:
        async with uow.sessions() as s:
            return await _with_covers(s, await batches.covering(s, order_id))

    # -- capacity -------------------------------------------------------------------------
    @app.get("/capacity", response_model=CapacityOut, tags=["capacity"])
    async def capacity(days: int = Query(default=horizon, ge=1, le=366)) -> CapacityOut:
        today = clock.today()
        async with uow.sessions() as s:
            load = await batches.day_load(s, today)
        calendar = capacity_calendar(today, days, load, per_day)
        return CapacityOut(
            batches_per_day=per_day,
            days=[DayCapacityOut(day=d.day, planned=d.planned, capacity=d.capacity, free=d.free) for d in calendar],
        )

    # The gateway's quote asks this: the day a batch whose materials are ready on `from`
    # could start. Same rule and load as the planner (handlers._plan), so a quote and the
    # batch planned a moment later agree unless another batch takes the slot in between.
    @app.get("/capacity/first-free", response_model=FirstFreeOut, tags=["capacity"])
    async def first_free(from_: date | None = Query(default=None, alias="from")) -> FirstFreeOut:
        today = clock.today()
        start = max(from_ or today, today)  # nothing starts in the past
        async with uow.sessions() as s:
            load = await batches.day_load(s, start)
        return FirstFreeOut(
            requested=from_ or today, first_free_day=first_free_day(start, load, per_day), batches_per_day=per_day
        )

    return app
