"""How much to buy: a need rounded up to what the supplier sells (whole packs, at least the
minimum order quantity), and what is still to buy once open purchase orders are counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from contracts.units import is_count

ZERO = Decimal(0)


@dataclass(frozen=True)
class Terms:
    """What one supplier asks for one material (quantities in the material's base unit)."""

    supplier_id: str
    lead_time_days: int
    pack_size: Decimal
    min_order_quantity: Decimal
    price: Decimal | None = None
    currency: str | None = None
    preferred: bool = False


def order_quantity(need: Decimal, terms: Terms) -> Decimal:
    """The smallest quantity of whole packs that covers `need` and the minimum order."""
    if need <= 0:
        return ZERO
    wanted = max(need, terms.min_order_quantity)
    packs = (wanted / terms.pack_size).to_integral_value(rounding=ROUND_CEILING)
    return packs * terms.pack_size


def still_to_buy(required: Decimal, available: Decimal, on_order: Decimal) -> Decimal:
    """Demand of waiting lines net of usable stock and of what open POs bring."""
    return max(required - max(available, ZERO) - on_order, ZERO)


def chosen_supplier(terms: list[Terms]) -> Terms | None:
    """The preferred supplier; without one, the quickest (then the lowest supplier id, so
    the answer is stable). None: nobody supplies the material."""
    if not terms:
        return None
    preferred = [t for t in terms if t.preferred]
    if preferred:
        return preferred[0]
    return min(terms, key=lambda t: (t.lead_time_days, t.supplier_id))


def expected_date(sent_on: date, lead_time_days: int) -> date:
    return sent_on + timedelta(days=lead_time_days)


def terms_problems(pack_size: Decimal, min_order_quantity: Decimal, base_unit: str) -> list[str]:
    """Why terms cannot be kept (pack and minimum in the material's base unit)."""
    problems = []
    if pack_size <= 0:
        problems.append("pack_size must be positive")
    if min_order_quantity < 0:
        problems.append("min_order_quantity may not be negative")
    if is_count(base_unit):
        for name, value in (("pack_size", pack_size), ("min_order_quantity", min_order_quantity)):
            if value != value.to_integral_value():
                problems.append(f"{name} {value} is not a whole number of pieces")
    return problems
