"""What makes an item definition acceptable, and what other services learn of it
(ItemDefined). Pure: no I/O."""

from __future__ import annotations

from decimal import Decimal

from contracts.events import ItemDefined
from inventory.domain.pieces import fractional_pieces

# What an existing item may not change: every stored quantity is in its base unit, and a
# recipe or an order line was checked against its kind.
FIXED = ("base_unit", "kind")


def item_problems(name: str, base_unit: str, max_order_quantity: Decimal | None) -> list[str]:
    """Every reason the definition is refused (empty: acceptable)."""
    problems = []
    if not name.strip():
        problems.append("name must not be blank")
    if max_order_quantity is not None and fractional_pieces(max_order_quantity, base_unit):
        problems.append(f"max_order_quantity {max_order_quantity} {base_unit}: an item counted in pieces has a whole bound")
    return problems


def item_defined(item) -> ItemDefined:
    """The event for an item row (anything with the item's attributes)."""
    return ItemDefined(
        sku=item.sku, name=item.name, kind=item.kind, base_unit=item.base_unit, sellable=item.kind == "finished",
        max_order_quantity=item.max_order_quantity, active=item.active, revision=item.revision,
    )
