"""What a recipe's batch rules mean, shared by every reader of RecipePublished: the planner
that sizes a batch (inventory) and the production service that shrinks one when an order
it covered is cancelled must agree on the same arithmetic."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal


def batch_quantity(need: Decimal, batch_min: Decimal, batch_multiple: Decimal) -> Decimal:
    """The smallest allowed batch that covers `need`: max(batch_min, ceil(need / multiple) x multiple).
    Zero need needs no batch (0)."""
    if batch_multiple <= 0:
        raise ValueError("batch_multiple must be positive")
    if need <= 0:
        return Decimal(0)
    multiples = (need / batch_multiple).to_integral_value(rounding=ROUND_CEILING)
    return max(batch_min, multiples * batch_multiple)
