"""Dates and stuck orders: the quote (capable-to-promise) and the operators' stuck list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Security

from contracts.units import Unit
from gateway import promising
from gateway.auth import require_key
from gateway.downstream import Downstream, downstream

router = APIRouter(prefix="/api", tags=["promising"], dependencies=[Security(require_key)])


async def promise_rules(request: Request) -> promising.PromiseRules:
    """The app's one cache of orders' promise rules, made on first use (no I/O in create_app;
    async: no thread-pool hop per request, and no two threads making it at once)."""
    state = request.app.state
    if getattr(state, "promise_rules", None) is None:
        state.promise_rules = promising.PromiseRules(state.settings.promise_rules_ttl)
    return state.promise_rules


@router.get(
    "/quote",
    summary="Earliest ship date for a quantity of a product (capable to promise)",
    description="From free stock (ATP), else the unpromised surplus of a planned batch, else a new batch: "
    "materials on hand or bought after the supplier lead time, then production's first free batch slot and "
    "the recipe's lead time; plus orders' handling days. An offer, not a reservation: the order's promise is "
    "made when it is placed. 422 for an unknown SKU, a unit of another dimension or half pieces.",
)
async def quote(
    sku: str = Query(min_length=1, max_length=64), quantity: Decimal = Query(gt=0, le=Decimal("1e12")),
    unit: Unit = Query(), ds: Downstream = Depends(downstream),
    rules: promising.PromiseRules = Depends(promise_rules),
) -> dict[str, Any]:
    return await promising.quote(ds, rules, sku, format(quantity, "f"), unit.value)


@router.get(
    "/orders/stuck",
    summary="Orders that cannot progress, why, and what unblocks each",
    description="Orders awaiting materials (shortage, unknown item, no recipe, broken recipe, on hold) with "
    "their shortage, channel orders on orders' review list, and shop orders needing SKU mapping or review.",
)
async def stuck(ds: Downstream = Depends(downstream)) -> dict[str, Any]:
    return await promising.stuck(ds)
