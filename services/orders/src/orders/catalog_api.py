"""HTTP routes of the catalog at the door: the review list of channel orders that failed the
checks, and the catalog replica (for tools that wait until an item they just created can be
ordered: poll `GET /catalog/{sku}` for its revision instead of guessing the lag)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel

from eventkit import Runtime
from orders.catalog import catalog_item, review_list


class CatalogItemOut(BaseModel):
    sku: str
    name: str
    kind: str
    base_unit: str
    sellable: bool
    max_order_quantity: Decimal | None
    active: bool
    revision: int
    updated_at: datetime


class ReviewLine(BaseModel):
    line_no: int
    sku: str
    quantity: Decimal
    unit: str


class ReviewOrderOut(BaseModel):
    order_id: str
    status: str  # needs_review
    channel: str
    shop: str
    channel_order_ref: str
    customer_name: str
    reasons: list[str]
    lines: list[ReviewLine]
    received_at: datetime
    recorded_at: datetime


class ReviewPage(BaseModel):
    items: list[ReviewOrderOut]
    total: int
    limit: int
    offset: int


def add_catalog_routes(app: FastAPI, rt: Runtime) -> None:
    @app.get("/review/orders", response_model=ReviewPage, tags=["review"])
    async def orders_for_review(
        limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
    ) -> ReviewPage:
        """Channel orders not placed because their lines failed the checks (unknown or unsold
        SKU, unit, half pieces, implausible quantity), newest first, each with its reasons."""
        async with rt.uow.sessions() as session:
            return ReviewPage(**await review_list(session, limit, offset))

    @app.get("/catalog/{sku}", response_model=CatalogItemOut, tags=["catalog"])
    async def catalog(sku: str) -> CatalogItemOut:
        async with rt.uow.sessions() as session:
            found = await catalog_item(session, sku)
        if found is None:
            raise HTTPException(404, f"orders has not (yet) seen item {sku}")
        return CatalogItemOut(**found)
