"""Why an order cannot progress, in one category per waiting line, and the action that
unblocks it - for the operators' stuck list. Pure: no I/O.

Inventory says the kind of wait in MaterialsShort.reason_code; events from before that
field existed carry only the words, so those are read as a fallback."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

CATEGORIES = {
    "shortage": "shortage",
    "unknown_item": "unknown item",
    "bad_unit": "unknown item",  # the line's unit does not fit the item: fix the line or the item
    "no_recipe": "no recipe",
    "broken_recipe": "broken recipe",
    "on_hold": "on hold",
}


def category(code: str | None, reason: str | None, shortages: list[dict[str, Any]] | None) -> str:
    if code:
        return CATEGORIES.get(code, code.replace("_", " "))
    words = (reason or "").lower()
    if "unknown sku" in words or ("does not fit" in words and "recipe" not in words):
        return "unknown item"
    if "no recipe" in words:
        return "no recipe"
    if "recipe" in words:
        return "broken recipe"
    if "hold" in words:
        return "on hold"
    return "shortage"


def _qty(value: Any) -> str:
    q = Decimal(str(value)).normalize()
    return f"{q:f}"


def action(cat: str, sku: str, shortages: list[dict[str, Any]] | None, reason: str | None) -> str:
    """What a person does so the line can move (the gateway may add supplier lead times)."""
    if cat == "shortage" and shortages:
        return "; ".join(f"receive {_qty(s['missing'])} {s['unit']} of {s['material_sku']}" for s in shortages)
    if cat == "no recipe":
        return f"publish a recipe for {sku}"
    if cat == "broken recipe":
        return f"fix the recipe of {sku} ({reason})" if reason else f"fix the recipe of {sku}"
    if cat == "unknown item":
        return f"define item {sku} in the catalog or correct the order line ({reason})" if reason else f"define item {sku}"
    if cat == "on hold":
        return f"release the hold on {sku} or receive other stock"
    return f"receive stock for {sku}"
