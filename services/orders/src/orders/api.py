"""HTTP API of the orders service: place orders, list them, show one with its timeline."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from contracts.events.base import OrderLine as LineSpec
from eventkit import Runtime
from orders.catalog import check_lines
from orders.catalog_api import add_catalog_routes
from orders.settings import DEFAULT_MAX_LINE_QUANTITY
from orders.cancellation import CancelRefused, OrderNotFound, cancel
from orders.domain.status import OrderStatus
from orders.placement import OrderDraft, new_order_id, place
from orders.queries import OrderFilter, get_order, list_orders, order_contacts
from orders.stuck import stuck_orders
from orders.schemas import CancelOrder, OrderContact, OrderOut, OrderPage, PlaceOrder, PromiseRules, StuckPage

OrderIdPath = Annotated[str, Path(min_length=1, max_length=100)]




def make_api(rt: Runtime) -> FastAPI:
    app = FastAPI(title="batchflow orders", version="1")


    handling_days = getattr(rt.settings, "handling_days", 1)
    max_line_quantity = getattr(rt.settings, "max_line_quantity", DEFAULT_MAX_LINE_QUANTITY)
    add_catalog_routes(app, rt)

    @app.post("/orders", status_code=201, response_model=OrderOut,
              responses={200: {"description": "the order already placed under this order_id"},
                         409: {"description": "order_id already used for a different order"},
                         422: {"description": "invalid, or a line the catalog refuses (detail: one reason per line)"}})
    async def place_order(body: PlaceOrder):
        order_id = body.order_id or new_order_id()
        draft = OrderDraft(
            order_id=order_id,
            customer=body.customer,
            lines=[LineSpec(line_no=n, sku=ln.sku, quantity=ln.quantity, unit=ln.unit)
                   for n, ln in zip(body.line_numbers(), body.lines)],
            placed_at=datetime.now(timezone.utc),
            wanted_date=body.wanted_date,
            priority=body.priority,
        )
        async with rt.uow.start(correlation_id=order_id, name="place order") as ctx:
            # Checked against the catalog replica at the door: refused whole, nothing created.
            problems = await check_lines(ctx.session, draft.lines, max_line_quantity)
            if problems:
                raise HTTPException(422, problems)
            placed = await place(ctx, draft, handling_days)
        if not placed.same_content:
            raise HTTPException(409, f"order_id {order_id!r} is already used by a different order")
        view = await _load(rt, order_id)
        return JSONResponse(view.model_dump(mode="json"), status_code=201 if placed.created else 200)

    @app.post("/orders/{order_id}/cancel", response_model=OrderOut,
              responses={404: {"description": "no such order"},
                         409: {"description": "goods already shipped: cancel refused"}})
    async def cancel_order(order_id: OrderIdPath, body: CancelOrder | None = None) -> OrderOut:
        """Cancel an order not shipped yet (idempotent: a cancelled order answers 200 again)."""
        try:
            async with rt.uow.start(correlation_id=order_id, name="cancel order") as ctx:
                await cancel(ctx, order_id, body.reason if body else "", handling_days)
        except OrderNotFound:
            raise HTTPException(404, f"order {order_id!r} not found") from None
        except CancelRefused as refused:
            raise HTTPException(409, str(refused)) from None
        return await _load(rt, order_id)

    @app.get("/orders", response_model=OrderPage)
    async def orders(
        status: OrderStatus | None = None,
        customer: Annotated[str | None, Query(max_length=200, description="name or e-mail contains")] = None,
        channel: Annotated[str | None, Query(max_length=100)] = None,
        sku: Annotated[str | None, Query(max_length=64)] = None,
        placed_from: datetime | None = None,
        placed_to: datetime | None = None,
        attention: Annotated[bool | None, Query(description="true: only orders flagged for a person")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> OrderPage:
        f = OrderFilter(status.value if status else None, customer, channel, sku, placed_from, placed_to, attention)
        async with rt.uow.sessions() as session:
            return await list_orders(session, f, limit, offset)

    @app.get("/order-contacts", response_model=list[OrderContact])
    async def contacts(
        order_id: Annotated[list[Annotated[str, Query(min_length=1, max_length=100)]],
                            Query(min_length=1, max_length=500, description="repeat for each order")],
    ) -> list[OrderContact]:
        """Number, status and customer of each order named that orders knows (unknown ids are left out)."""
        async with rt.uow.sessions() as session:
            return await order_contacts(session, sorted(set(order_id)))

    @app.get("/promise-rules", response_model=PromiseRules)
    async def promise_rules() -> PromiseRules:
        return PromiseRules(handling_days=handling_days)

    @app.get("/stuck", response_model=StuckPage)
    async def stuck(limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0) -> StuckPage:
        """Orders awaiting materials, oldest first: each waiting line's category and action."""
        async with rt.uow.sessions() as session:
            return StuckPage(**await stuck_orders(session, limit, offset))

    @app.get("/orders/{order_id}", response_model=OrderOut)
    async def order(order_id: OrderIdPath) -> OrderOut:
        return await _load(rt, order_id)

    return app


async def _load(rt: Runtime, order_id: str) -> OrderOut:
    async with rt.uow.sessions() as session:
        view = await get_order(session, order_id)
    if view is None:
        raise HTTPException(404, f"order {order_id!r} not found")
    return view
