"""Reorder points (make to stock), pure: what a rule asks for, where an item stands against
it, and how much a replenishment orders. No I/O.

The position is what the item can still give without buying or making anything new:
free usable stock (not reserved, allocated, expired nor held) plus open supply (the
unpromised output of planned batches for a made item, open purchase order lines for a
bought one). Allocations and promises are demand already served, so they are not in it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from inventory.domain.pieces import fractional_pieces, need_up
from inventory.domain.quantities import STEP

ZERO = Decimal(0)
# NUMERIC(18, 6): twelve digits before the point.
LIMIT = Decimal(10) ** 12


@dataclass(frozen=True)
class RuleTerms:
    reorder_point: Decimal
    target: Decimal | None  # min/max
    days_of_cover: int | None  # or: average daily demand over `lookback_days` x days_of_cover
    lookback_days: int


def rule_problems(terms: RuleTerms, unit: str) -> list[str]:
    """Every reason a rule (already in the item's base unit) is refused; empty: acceptable."""
    problems = []
    if terms.reorder_point < 0:
        problems.append(f"reorder_point {terms.reorder_point} is negative")
    if (terms.target is None) == (terms.days_of_cover is None):
        problems.append("give either a target (min/max) or days_of_cover (a target from recent demand), not both")
    if terms.target is not None:
        if terms.target < 0:
            problems.append(f"target {terms.target} is negative")
        elif terms.target < terms.reorder_point:
            problems.append(f"target {terms.target} is below the reorder point {terms.reorder_point}")
        elif terms.target == 0:
            problems.append("target 0 would never order anything")
    if terms.days_of_cover is not None and terms.days_of_cover <= 0:
        problems.append(f"days_of_cover {terms.days_of_cover} must be at least 1")
    if terms.lookback_days <= 0:
        problems.append(f"lookback_days {terms.lookback_days} must be at least 1")
    for name, value in (("reorder_point", terms.reorder_point), ("target", terms.target)):
        if value is not None and value >= LIMIT:
            problems.append(f"{name} {value} {unit} is beyond what stock is counted in (under {LIMIT:,} {unit})")
        elif value is not None and value >= 0 and fractional_pieces(value, unit):
            problems.append(f"{name} {value} {unit}: an item counted in pieces takes whole numbers")
    return problems


def target_level(terms: RuleTerms, demand_in_lookback: Decimal, unit: str) -> Decimal:
    """The level a replenishment fills up to: the fixed target, or the recent average daily
    demand times the days of cover - never below the point (a quiet month must not leave a
    rule that orders nothing while below its point)."""
    if terms.target is not None:
        return terms.target
    daily = demand_in_lookback / terms.lookback_days
    level = (daily * (terms.days_of_cover or 0)).quantize(STEP, rounding=ROUND_CEILING)
    return need_up(max(level, terms.reorder_point), unit)


@dataclass(frozen=True)
class Position:
    on_hand_free: Decimal
    open_supply: Decimal

    @property
    def level(self) -> Decimal:
        return self.on_hand_free + self.open_supply


def below_point(position: Position, reorder_point: Decimal) -> bool:
    """Strictly below: at the point is still fine (a point of 0 means 'when we run out of
    supply', and never fires while anything is there or on its way)."""
    return position.level < reorder_point


def quantity_to_order(position: Position, target: Decimal, unit: str) -> Decimal:
    """What brings the position up to the target (whole pieces up); zero when it is there."""
    return need_up(max(target - position.level, ZERO), unit)


def status_of(position: Position, reorder_point: Decimal, open_replenishment: str | None) -> str:
    """For operators: ok | replenishing (below, and a batch is planned or a purchase
    suggested) | waiting (below, the batch for stock waits for materials) | below."""
    if not below_point(position, reorder_point):
        return "ok"
    if open_replenishment == "waiting":
        return "waiting"
    return "replenishing" if open_replenishment else "below"
