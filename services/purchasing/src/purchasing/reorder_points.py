"""Reorder points, as purchasing sees them (inventory owns the rules and the positions and
raises ReorderPointReached once per crossing):

- a material below its point: the suggestion for it fills up to the rule's target (reason
  "reorder point"), net of usable stock and open purchase orders like any suggestion;
- a batch for stock waiting for materials: what its batch requires of each short material is
  demand like a waiting order line's (`stock_batch`).

A request is open until a purchase order with its material is sent (`ordered`) or, for a
batch for stock, until inventory planned it after all (ReplenishmentPlanned: `closed`).
The same crossing delivered twice is one request (its replenishment id)."""

from __future__ import annotations

import logging

from sqlalchemy import text

from contracts import events as ev
from eventkit import Context

log = logging.getLogger("purchasing.reorder_points")

_REQUEST = text(
    "INSERT INTO reorder_requests (replenishment_id, material_sku, kind, for_sku, wanted, unit, reorder_point, raised_at) "
    "VALUES (:r, :m, :kind, :for_sku, :wanted, :u, :point, :at) ON CONFLICT DO NOTHING"
)
_STOCK = text(
    "INSERT INTO material_stock (material_sku, available, unit, seen_at) VALUES (:m, :a, :u, :at) "
    "ON CONFLICT (material_sku) DO UPDATE SET available = EXCLUDED.available, unit = EXCLUDED.unit, "
    "seen_at = EXCLUDED.seen_at WHERE material_stock.seen_at < EXCLUDED.seen_at"
)


async def on_reorder_point_reached(ctx: Context, event: ev.ReorderPointReached) -> None:
    session = ctx.session
    at = ctx.envelope.occurred_at
    if event.action == "purchase":
        await session.execute(_REQUEST, {
            "r": event.replenishment_id, "m": event.sku, "kind": "material", "for_sku": event.sku,
            "wanted": event.target, "u": event.unit.value, "point": event.reorder_point, "at": event.reached_at,
        })
        # The free stock inventory measured is the freshest figure of it we have.
        await session.execute(_STOCK, {"m": event.sku, "a": event.on_hand_free, "u": event.unit.value, "at": at})
        return
    for s in event.shortages if event.status == "waiting" else ():
        await session.execute(_REQUEST, {
            "r": event.replenishment_id, "m": s.material_sku, "kind": "stock_batch", "for_sku": event.sku,
            "wanted": s.required, "u": s.unit.value, "point": None, "at": event.reached_at,
        })
        await session.execute(_STOCK, {"m": s.material_sku, "a": s.available, "u": s.unit.value, "at": at})


async def on_replenishment_planned(ctx: Context, event: ev.ReplenishmentPlanned) -> None:
    """The batch for stock is planned (its materials were found): it waits for nothing."""
    await ctx.session.execute(
        text("UPDATE reorder_requests SET status = 'closed', closed_at = now() "
             "WHERE replenishment_id = :r AND status = 'open'"), {"r": event.replenishment_id})


async def mark_ordered(session, purchase_order_id: str, materials: list[str]) -> None:
    """A purchase order with these materials was sent: their open requests are answered."""
    await session.execute(
        text("UPDATE reorder_requests SET status = 'ordered', purchase_order_id = :p, closed_at = now() "
             "WHERE status = 'open' AND material_sku = ANY(:m)"), {"p": purchase_order_id, "m": sorted(set(materials))})


async def open_requests(session, materials: list[str] | None = None) -> dict[str, list]:
    """Open requests per material (all materials when None)."""
    rows = await session.execute(
        text("SELECT * FROM reorder_requests WHERE status = 'open' "
             "AND (CAST(:m AS text[]) IS NULL OR material_sku = ANY(:m)) ORDER BY material_sku, raised_at"),
        {"m": materials},
    )
    out: dict[str, list] = {}
    for r in rows:
        out.setdefault(r.material_sku, []).append(r)
    return out
