"""Where an item stands for its reorder rule, read from the database: free usable stock,
open supply (planned batches' unpromised output, open purchase order lines) and the demand
of a recent window (days-of-cover rules). Callers that act on it hold the item's row lock,
so the figures cannot move under them."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.domain.reordering import Position
from inventory.index_predicates import free_lots
from inventory.tables import Lot


def _free(sku: str, today: date):
    # lots_free's own predicate: emptied lots are never read.
    return select(func.coalesce(func.sum(Lot.on_hand - Lot.reserved - Lot.allocated), 0)).where(
        Lot.sku == sku, free_lots(), or_(Lot.expiry_date.is_(None), Lot.expiry_date > today)
    )

_PLANNED = text(
    "SELECT COALESCE(SUM(batch_quantity - promised), 0) FROM plans WHERE sku = :sku AND status = 'planned'"
)
_ON_ORDER = text(
    "SELECT COALESCE(SUM(quantity - received), 0) FROM po_lines WHERE sku = :sku AND status = 'open' "
    "AND quantity > received"
)
# Made goods: what customers ordered (lines of orders placed in the window, not cancelled).
_ORDERED = text(
    "SELECT COALESCE(SUM(l.quantity), 0) FROM demand_lines l JOIN order_demands o USING (order_id) "
    "WHERE l.sku = :sku AND l.unit = :unit AND l.status = 'open' AND o.placed_at >= :since"
)
# Bought goods: what batches set aside of them in the window (the draw on a material comes
# when its batch is planned; counting consumption too would count it twice).
_RESERVED = text("SELECT COALESCE(SUM(quantity), 0) FROM reservations WHERE sku = :sku AND created_at >= :since")


async def position(session: AsyncSession, sku: str, kind: str, today: date) -> Position:
    free = Decimal(await session.scalar(_free(sku, today)))
    supply = _PLANNED if kind != "raw" else _ON_ORDER
    return Position(on_hand_free=max(free, Decimal(0)), open_supply=Decimal(await session.scalar(supply, {"sku": sku})))


async def recent_demand(session: AsyncSession, sku: str, kind: str, unit: str, lookback_days: int) -> Decimal:
    since = datetime.now(timezone.utc) - timedelta(days=lookback_days)
    if kind == "raw":
        return Decimal(await session.scalar(_RESERVED, {"sku": sku, "since": since}))
    return Decimal(await session.scalar(_ORDERED, {"sku": sku, "unit": unit, "since": since}))
