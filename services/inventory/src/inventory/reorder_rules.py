"""Reorder rules over HTTP: set (checked at the door, and applied at once: a point above
today's position plans the batch for stock or raises the suggestion in the same
transaction), read with the item's current position, delete; the replenishments raised;
and a review of every rule (for what no event announces: lots expiring overnight).
Quantities are given in a unit of the item's dimension and kept in its base unit."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.units import IncompatibleUnits, Unit
from eventkit import Runtime
from eventkit.jobs import repeat
from inventory.adapters.positions import position
from inventory.adapters.stock import lock_items
from inventory.commands import Refused
from inventory.domain.quantities import to_base
from inventory.domain.reordering import RuleTerms, rule_problems, status_of
from inventory.clock import today
from inventory.replenishment import OPEN, replenish, target_of
from inventory.tables import Item, ReorderRule, Replenishment, utcnow

log = logging.getLogger("inventory.reorder_rules")

REFUSALS = {404: {"description": "no rule for that item"}, 422: {"description": "the reason the rule is refused"}}


class ReorderRuleIn(BaseModel):
    """Either `target` (min/max: fill up to it) or `days_of_cover` (fill up to the average
    daily demand of the last `lookback_days` times that many days), and always the point."""

    model_config = ConfigDict(extra="forbid")

    reorder_point: Decimal = Field(max_digits=18, decimal_places=6)
    unit: Unit
    target: Decimal | None = Field(default=None, max_digits=18, decimal_places=6)
    days_of_cover: int | None = Field(default=None, le=3650)
    lookback_days: int = Field(default=28, le=3650)


class ReplenishmentOut(BaseModel):
    replenishment_id: str
    sku: str
    action: Literal["batch", "purchase"]
    status: Literal["planned", "waiting", "suggested", "closed"]
    unit: str
    on_hand_free: Decimal
    open_supply: Decimal
    reorder_point: Decimal
    target: Decimal
    quantity: Decimal
    plan_id: str | None
    shortages: list[dict]
    reached_at: datetime
    updated_at: datetime


class ReorderRuleOut(BaseModel):
    sku: str
    item_kind: str
    unit: str
    reorder_point: Decimal
    target: Decimal | None
    days_of_cover: int | None
    lookback_days: int
    # The level a replenishment fills up to now (the target, or from recent demand).
    effective_target: Decimal
    on_hand_free: Decimal
    open_supply: Decimal
    position: Decimal
    # ok | replenishing | waiting (a batch for stock waits for materials) | below
    status: str
    open_replenishment: ReplenishmentOut | None
    updated_at: datetime


async def set_rule(session: AsyncSession, sku: str, body: ReorderRuleIn) -> ReorderRule:
    item = (await lock_items(session, [sku])).get(sku)
    if item is None:
        raise Refused(422, f"unknown item {sku}: register it with POST /items first")
    try:
        point = to_base(body.reorder_point, body.unit, item.base_unit)
        target = to_base(body.target, body.unit, item.base_unit) if body.target is not None else None
    except IncompatibleUnits as exc:
        raise Refused(422, f"{sku} is kept in {item.base_unit}: {exc}") from None
    terms = RuleTerms(point, target, body.days_of_cover, body.lookback_days)
    problems = rule_problems(terms, item.base_unit)
    if problems:
        raise Refused(422, "; ".join(problems))
    rule = await session.get(ReorderRule, sku, with_for_update=True, populate_existing=True)
    if rule is None:
        rule = ReorderRule(sku=sku, reorder_point=point, unit=item.base_unit)
        session.add(rule)
    rule.reorder_point, rule.target, rule.days_of_cover = point, target, body.days_of_cover
    rule.lookback_days, rule.unit, rule.updated_at = body.lookback_days, item.base_unit, utcnow()
    await session.flush()
    return rule


async def delete_rule(session: AsyncSession, sku: str) -> None:
    await lock_items(session, [sku])
    rule = await session.get(ReorderRule, sku, with_for_update=True)
    if rule is None:
        raise Refused(404, f"no reorder rule for {sku}")
    # A waiting batch for stock or an open suggestion dies with its rule (a suggestion
    # already drafted into a purchase order stays with purchasing).
    for open_ in (await session.execute(
        select(Replenishment).where(Replenishment.sku == sku, Replenishment.status.in_(OPEN)).with_for_update()
    )).scalars():
        open_.status, open_.updated_at = "closed", utcnow()
    await session.delete(rule)


async def rule_view(session: AsyncSession, rule: ReorderRule) -> ReorderRuleOut:
    item = await session.get(Item, rule.sku)
    pos = await position(session, item.sku, item.kind, today())
    open_ = (await session.execute(
        select(Replenishment).where(Replenishment.sku == rule.sku, Replenishment.status.in_(OPEN))
    )).scalar_one_or_none()
    return ReorderRuleOut(
        sku=rule.sku, item_kind=item.kind, unit=rule.unit, reorder_point=rule.reorder_point, target=rule.target,
        days_of_cover=rule.days_of_cover, lookback_days=rule.lookback_days,
        effective_target=await target_of(session, rule, item), on_hand_free=pos.on_hand_free,
        open_supply=pos.open_supply, position=pos.level,
        status=status_of(pos, rule.reorder_point, open_.status if open_ else None),
        open_replenishment=ReplenishmentOut(**open_.model_dump()) if open_ else None, updated_at=rule.updated_at,
    )


def reorder_router(rt: Runtime, reading: Callable[[], AsyncIterator[AsyncSession]]) -> APIRouter:
    router = APIRouter(tags=["make to stock"])

    @router.put("/reorder-rules/{sku}", response_model=ReorderRuleOut, responses=REFUSALS)
    async def put_rule(body: ReorderRuleIn, sku: str = Path(max_length=64)) -> ReorderRuleOut:
        """Set the item's rule; the position is checked against it at once."""
        async with rt.uow.start(correlation_id=sku, name="set reorder rule") as ctx:
            rule = await set_rule(ctx.session, sku, body)
            await replenish(ctx, [sku], today())
            return await rule_view(ctx.session, rule)

    @router.get("/reorder-rules", response_model=list[ReorderRuleOut])
    async def list_rules(s: AsyncSession = Depends(reading)) -> list[ReorderRuleOut]:
        rules = (await s.execute(select(ReorderRule).order_by(ReorderRule.sku))).scalars().all()
        return [await rule_view(s, r) for r in rules]

    @router.get("/reorder-rules/{sku}", response_model=ReorderRuleOut, responses=REFUSALS)
    async def get_rule(sku: str, s: AsyncSession = Depends(reading)) -> ReorderRuleOut:
        rule = await s.get(ReorderRule, sku)
        if rule is None:
            raise Refused(404, f"no reorder rule for {sku}")
        return await rule_view(s, rule)

    @router.delete("/reorder-rules/{sku}", status_code=204, responses=REFUSALS)
    async def remove_rule(sku: str) -> Response:
        async with rt.uow.start(correlation_id=sku, name="delete reorder rule") as ctx:
            await delete_rule(ctx.session, sku)
        return Response(status_code=204)

    @router.post("/reorder-rules/review", response_model=list[ReorderRuleOut])
    async def review() -> list[ReorderRuleOut]:
        """Check every rule now: what moves positions without an event (a lot expiring
        overnight) is caught by calling this daily (or after an upgrade)."""
        async with rt.uow.start(name="review reorder rules") as ctx:
            await review_all(ctx)
            rules = (await ctx.session.execute(select(ReorderRule).order_by(ReorderRule.sku))).scalars().all()
            return [await rule_view(ctx.session, r) for r in rules]

    @router.get("/replenishments", response_model=list[ReplenishmentOut])
    async def list_replenishments(
        sku: str | None = Query(None, max_length=64),
        status: Literal["planned", "waiting", "suggested", "closed"] | None = None,
        limit: int = Query(200, ge=1, le=2000), s: AsyncSession = Depends(reading),
    ) -> list[ReplenishmentOut]:
        query = select(Replenishment).order_by(Replenishment.reached_at.desc()).limit(limit)
        if sku:
            query = query.where(Replenishment.sku == sku)
        if status:
            query = query.where(Replenishment.status == status)
        return [ReplenishmentOut(**r.model_dump()) for r in (await s.execute(query)).scalars()]

    return router


async def review_all(ctx) -> None:
    """Every rule checked against today's position (one replenishment per crossing holds:
    replenish locks each item and skips one with an open replenishment)."""
    skus = (await ctx.session.execute(select(ReorderRule.sku))).scalars().all()
    await replenish(ctx, skus, today())


async def scheduled_review(rt: Runtime) -> None:
    """The review as a background job (INVENTORY_REORDER_REVIEW_SECONDS): every instance runs
    it, which is safe for the reason above."""
    if not rt.settings.reorder_review_seconds:
        return

    async def one_pass() -> None:
        async with rt.uow.start(name="scheduled reorder review") as ctx:
            await review_all(ctx)

    await repeat(rt.settings.reorder_review_seconds, one_pass, "reorder review", log, wait_first=True)
