"""Available- and capable-to-promise from what inventory owns. Pure: no I/O.

A quote answers in the order placement covers a line (covering.py), so a quote and the
order placed right after it agree: finished stock free today (ATP), then the unpromised
surplus of planned batches (ready at their planned end), then a new batch whose materials
are on hand (ready after the recipe's lead time) or must be bought first (after the longest
supplier lead time of what is missing). Production's capacity is not inventory's: the
answer says when materials are ready and how long making takes; the gateway adds
production's first free day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from inventory.domain.planning import MaterialNeed

ZERO = Decimal(0)


@dataclass(frozen=True)
class PlannedSurplus:
    """What one planned batch will make beyond its promises, and when it is expected."""

    plan_id: str
    surplus: Decimal
    ready_on: date


@dataclass(frozen=True)
class MaterialCheck:
    sku: str
    required: Decimal
    available: Decimal
    unit: str
    supplier_lead_time_days: int | None
    # The earliest day open purchase orders bring the missing quantity (None: none do).
    on_order_by: date | None = None

    @property
    def missing(self) -> Decimal:
        return max(self.required - self.available, ZERO)

    def lead_days(self, today: date) -> int | None:
        """Days until what is missing is here: an open PO's expected date when POs cover it
        (a PO overdue counts as today), else the supplier's lead time for buying it now."""
        if self.on_order_by is not None:
            return max((self.on_order_by - today).days, 0)
        return self.supplier_lead_time_days


@dataclass(frozen=True)
class Answer:
    basis: str  # stock | planned_batch | production | purchase | unavailable
    ready_date: date | None  # inventory's view (no capacity); None: cannot be dated
    explanation: str
    needs_production: bool = False
    materials_ready_on: date | None = None
    lead_time_days: int = 0
    from_stock: Decimal = ZERO
    from_plans: Decimal = ZERO
    to_make: Decimal = ZERO
    materials: list[MaterialCheck] = field(default_factory=list)


def materials_ready_on(today: date, missing_lead_times: Iterable[int | None]) -> date | None:
    """Materials on hand: today. Else today + the longest supplier lead time of what is
    missing; None when a missing material has no known lead time (nothing can date it).
    Callers pass `MaterialCheck.lead_days`: an open PO's expected date replaces today +
    lead time for a material the POs cover (see `covered_on`)."""
    leads = list(missing_lead_times)
    if not leads:
        return today
    if any(lead is None for lead in leads):
        return None
    return today + timedelta(days=max(leads))  # type: ignore[arg-type]


def covered_on(missing: Decimal, expected: Iterable[tuple[date, Decimal]]) -> date | None:
    """The earliest expected date by which open purchase orders (`expected`: (date, open
    quantity) per PO line) bring at least `missing`; None when they never do. Each waiting
    line is dated on its own: lines waiting for the same material are not netted against
    each other (the date is an estimate, the receipt serves them by priority then age)."""
    if missing <= 0:
        return None
    total = ZERO
    for when, quantity in sorted(expected):
        total += quantity
        if total >= missing:
            return when
    return None


def expected_ready(today: date, checks: Iterable[MaterialCheck], lead_time_days: int) -> date | None:
    """When a line waiting for materials could be ready if they are bought now (the
    `expected_date` of MaterialsShort): materials ready + the recipe's lead time."""
    ready = materials_ready_on(today, [c.lead_days(today) for c in checks if c.missing > 0])
    return ready + timedelta(days=lead_time_days) if ready else None


def q(quantity: Decimal) -> str:
    """A quantity for people: 2.500000 -> 2.5."""
    return format(quantity.normalize(), "f")


def days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def quote(
    *, today: date, need: Decimal, unit: str, free_stock: Decimal, surplus: list[PlannedSurplus],
    has_recipe: bool, lead_time_days: int = 0, materials: list[MaterialCheck] | None = None,
) -> Answer:
    """`need` in the item's base unit. `surplus` in the order placement promises against
    (oldest plan first). `materials`: the checks of a new batch for what stock and surplus
    leave (ignored when they cover the need)."""
    if free_stock >= need:
        return Answer("stock", today, f"{q(need)} {unit} in stock, free to promise today", from_stock=need)
    left = need - max(free_stock, ZERO)
    taken_from_plans, last_plan_ready = ZERO, None
    for plan in surplus:
        if left <= 0:
            break
        if plan.surplus <= 0:
            continue
        take = min(plan.surplus, left)
        taken_from_plans += take
        left -= take
        last_plan_ready = max(last_plan_ready or plan.ready_on, plan.ready_on)
    stock_part = need - left - taken_from_plans
    prefix = f"{q(stock_part)} {unit} from stock; " if stock_part > 0 else ""
    if left <= 0:
        return Answer(
            "planned_batch", last_plan_ready,
            f"{prefix}{q(taken_from_plans)} {unit} from the unpromised surplus of a planned batch, ready on {last_plan_ready}",
            from_stock=stock_part, from_plans=taken_from_plans,
        )
    if not has_recipe:
        return Answer(
            "unavailable", None,
            f"{prefix}only {q(need - left)} {unit} can be promised and there is no recipe to make the rest",
            from_stock=stock_part, from_plans=taken_from_plans,
        )
    checks = materials or []
    missing = [c for c in checks if c.missing > 0]
    ready_mat = materials_ready_on(today, [c.lead_days(today) for c in missing])
    common = dict(
        needs_production=True, materials_ready_on=ready_mat, lead_time_days=lead_time_days,
        from_stock=stock_part, from_plans=taken_from_plans, to_make=left, materials=checks,
    )
    make = f"{prefix}{q(left)} {unit} to make (recipe lead time {days(lead_time_days)})"
    if not missing:
        ready = today + timedelta(days=lead_time_days)
        return Answer("production", ready, f"{make}; materials on hand", **common)
    buy = ", ".join(
        f"{q(c.missing)} {c.unit} of {c.sku} (on order, expected {c.on_order_by})" if c.on_order_by else
        f"{q(c.missing)} {c.unit} of {c.sku} (supplier lead time "
        f"{days(c.supplier_lead_time_days) if c.supplier_lead_time_days is not None else 'unknown'})"
        for c in missing
    )
    if ready_mat is None:
        return Answer("purchase", None, f"{make}; must buy {buy}: no lead time known, no date", **common)
    ready = ready_mat + timedelta(days=lead_time_days)
    return Answer("purchase", ready, f"{make}; must buy {buy}: materials on {ready_mat}", **common)


def material_checks(
    needs: list[MaterialNeed], available: dict[str, Decimal], lead_times: dict[str, int | None],
    on_order: dict[str, list[tuple[date, Decimal]]] | None = None,
) -> list[MaterialCheck]:
    """`on_order`: open purchase order lines per material, (expected date, open quantity)."""
    checks = [
        MaterialCheck(n.sku, n.quantity, available.get(n.sku, ZERO), n.unit.value if hasattr(n.unit, "value") else str(n.unit),
                      lead_times.get(n.sku))
        for n in needs
    ]
    if not on_order:
        return checks
    return [replace(c, on_order_by=covered_on(c.missing, on_order.get(c.sku, []))) for c in checks]
