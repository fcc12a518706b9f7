"""What we tell the shop when an order shipped."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any


def fulfillment_line_items(shipped: list[tuple[int, Decimal]], line_refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Shop line items for the shipped (line_no, quantity in our unit) pairs.

    `line_refs` are the mapped lines recorded when the webhook was accepted (line_no,
    external_line_id, external_sku, per_item); quantities go back to shop items."""
    by_line = {int(r["line_no"]): r for r in line_refs}
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for line_no, qty in shipped:
        totals[line_no] += qty
    items = []
    for line_no in sorted(totals):
        ref = by_line.get(line_no)
        if ref is None:
            continue  # a line the shop never sent (cannot happen for channel orders)
        shop_qty = totals[line_no] / Decimal(str(ref["per_item"]))
        item: dict[str, Any] = {"sku": ref["external_sku"], "quantity": _number(shop_qty)}
        if ref.get("external_line_id"):
            item["id"] = ref["external_line_id"]
        items.append(item)
    return items


def _number(q: Decimal) -> int | float:
    # Shops count items in integers; keep a fraction only if there really is one.
    q = q.normalize()
    return int(q) if q == q.to_integral_value() else float(q)


def backoff(attempts: int, initial: float, maximum: float) -> float:
    """Delay before the next try after `attempts` failed tries (1, 2, 4, ... capped)."""
    return min(initial * (2 ** max(attempts - 1, 0)), maximum)
