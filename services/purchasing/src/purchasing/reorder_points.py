"""Reorder points, as purchasing sees them (inventory owns the rules and the positions and
raises ReorderPointReached once per crossing):

- a material below its point: the suggestion for it fills up to the rule's target (reason
  "reorder point"), net of usable stock and open purchase orders like any suggestion;
- a batch for stock waiting for materials: what its batch requires of each short material is
  demand like a waiting order line's (`stock_batch`).

A request is open until purchase orders sent for its material cover it with the usable stock
(`ordered`; a smaller order leaves it open for the rest) or, for a
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


# Per material: what is on order now (sent and partly received POs, this one included) and
# the usable stock last reported; a request is answered when they cover it, oldest first.
# A purchase order smaller than the want leaves the request open, so the suggestion keeps
# showing the rest instead of the material staying below its point with nothing to say so
# (inventory raises a crossing once; it will not ask again).
_ANSWERED = text(
    "WITH cover AS ("
    " SELECT m.sku AS material_sku,"
    "  COALESCE((SELECT available FROM material_stock s WHERE s.material_sku = m.sku), 0)"
    "  + COALESCE((SELECT SUM(GREATEST(l.base_quantity - l.received, 0)) FROM po_lines l"
    "     JOIN purchase_orders po USING (purchase_order_id)"
    "     WHERE l.material_sku = m.sku AND po.status IN ('sent', 'partly_received')), 0) AS covered"
    " FROM unnest(CAST(:m AS text[])) AS m(sku)), "
    "wants AS ("
    " SELECT r.replenishment_id, r.material_sku,"
    "  SUM(r.wanted) OVER (PARTITION BY r.material_sku ORDER BY r.raised_at, r.replenishment_id) AS running"
    " FROM reorder_requests r WHERE r.status = 'open' AND r.material_sku = ANY(:m)) "
    "UPDATE reorder_requests r SET status = 'ordered', purchase_order_id = :p, closed_at = now() "
    "FROM wants w JOIN cover c USING (material_sku) "
    "WHERE r.replenishment_id = w.replenishment_id AND r.material_sku = w.material_sku AND w.running <= c.covered"
)


async def mark_ordered(session, purchase_order_id: str, materials: list[str]) -> None:
    """A purchase order with these materials was sent: the open requests it (with stock and
    the other open orders) covers are answered."""
    await session.execute(_ANSWERED, {"p": purchase_order_id, "m": sorted(set(materials))})


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
