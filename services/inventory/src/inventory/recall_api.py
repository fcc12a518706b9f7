"""HTTP commands and queries of holds and recalls. Every `{lot}` is a lot id or the lot
number printed on the label (ours or the supplier's)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Literal

from fastapi import APIRouter, Body, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit import Runtime
from inventory.adapters import queries, recall_queries
from inventory.adapters.lot_refs import lot_or_404
from inventory.commands import Refused
from inventory.clock import today
from inventory.holds import hold_lots, release_lots
from inventory.recall_schemas import CloseIn, CustomerStateIn, HoldIn, RecallIn, RecallOut, RecallSummaryOut, ReleaseIn
from inventory.recalls import close_recall, open_recall, set_customer_state
from inventory.tables import Item, Recall
from inventory.schemas import LotOut

REFUSALS = {404: {"description": "unknown lot or recall"}, 409: {"description": "not possible in this state (reason)"}}


def recall_router(rt: Runtime, reading: Callable[[], AsyncIterator[AsyncSession]]) -> APIRouter:
    router = APIRouter()

    async def lot_view(session: AsyncSession, lot_id: str) -> LotOut:
        (found,) = await queries.lots(session, today(), lot_id=lot_id)
        return found

    @router.post("/lots/{lot}/hold", response_model=LotOut, responses=REFUSALS)
    async def hold(lot: str, body: HoldIn) -> LotOut:
        """Quality hold: the lot is neither allocated nor consumed until released; goods
        already allocated in it wait (LotHeld)."""
        async with rt.uow.start(name="hold lot") as ctx:
            found = await lot_or_404(ctx.session, lot)
            await hold_lots(ctx, [found.lot_id], body.reason.strip(), today())
            return await lot_view(ctx.session, found.lot_id)

    @router.post("/lots/{lot}/release", response_model=LotOut, responses=REFUSALS)
    async def release(lot: str, body: ReleaseIn | None = Body(None)) -> LotOut:
        """End a quality hold (LotReleased); waiting lines are offered the stock. A lot held by
        an open recall is released by closing the recall."""
        async with rt.uow.start(name="release lot") as ctx:
            found = await lot_or_404(ctx.session, lot)
            if not found.on_hold:
                raise Refused(409, f"lot {found.lot_no} is not on hold")
            if found.hold_recall_id is not None:
                raise Refused(409, f"lot {found.lot_no} is held by recall {found.hold_recall_id}: close the recall")
            await release_lots(ctx, [found.lot_id], (body.reason if body else "") or "hold released", today())
            return await lot_view(ctx.session, found.lot_id)

    @router.post("/recalls", status_code=201, response_model=RecallOut, responses=REFUSALS)
    async def start_recall(body: RecallIn) -> RecallOut:
        """The lot and every lot made from it go on hold; RecallOpened names the customers
        who received goods of them."""
        async with rt.uow.start(name="open recall") as ctx:
            recall = await open_recall(ctx, body.lot.strip(), body.reason.strip(), today())
            recall_id = recall.recall_id
        async with rt.uow.sessions() as session:
            return await recall_queries.recall(session, recall_id)

    @router.get("/recalls", response_model=list[RecallSummaryOut])
    async def list_recalls(status: Literal["open", "closed"] | None = None, s: AsyncSession = Depends(reading)):
        return await recall_queries.recalls(s, status)

    @router.get("/recalls/{recall_id}", response_model=RecallOut, responses=REFUSALS)
    async def get_recall(recall_id: str, s: AsyncSession = Depends(reading)):
        found = await recall_queries.recall(s, recall_id)
        if found is None:
            raise Refused(404, f"no recall {recall_id}")
        return found

    @router.post("/recalls/{recall_id}/customers/{order_id}", response_model=RecallOut, responses=REFUSALS)
    async def customer_state(recall_id: str, order_id: str, body: CustomerStateIn) -> RecallOut:
        async with rt.uow.start(name="recall customer") as ctx:
            await set_customer_state(ctx.session, recall_id, order_id, body.state)
        async with rt.uow.sessions() as session:
            return await recall_queries.recall(session, recall_id)

    @router.post("/recalls/{recall_id}/close", response_model=RecallOut, responses=REFUSALS)
    async def close(recall_id: str, body: CloseIn) -> RecallOut:
        async with rt.uow.start(name="close recall") as ctx:
            await close_recall(ctx, recall_id, body.disposition, today())
        async with rt.uow.sessions() as session:
            return await recall_queries.recall(session, recall_id)

    return router
