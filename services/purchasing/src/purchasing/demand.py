"""The demand picture suggestions are computed from, built only from facts inventory
publishes anyway (no new event, no HTTP call between services):

- `MaterialsShort` of an order line: it waits, and its batch requires these quantities of
  the materials that are short; `available` is the usable stock of each as inventory saw it.
- `MaterialsReserved` for the line, or an `OrderAllocated` that no longer lists it as
  outstanding: it stopped waiting.
- `OrderCancelled`: nothing of the order waits any more, whatever arrives later.

These travel on different topics, so they are applied by the time inventory raised them
(the envelope's `occurred_at`): per line the latest fact wins and an older or repeated one
changes nothing. Summing `required` of waiting lines and subtracting the latest `available`
per material gives what inventory's own `/shortages` shows (it also sums requirements
against today's stock), without double counting stock several lines count on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from contracts import events as ev
from eventkit import Context

_CLAIM_LINE = text(
    "INSERT INTO waiting_lines (order_id, line_no, fact_at, waiting) VALUES (:o, :n, :at, :waiting) "
    "ON CONFLICT (order_id, line_no) DO UPDATE SET fact_at = EXCLUDED.fact_at, waiting = EXCLUDED.waiting "
    "WHERE waiting_lines.fact_at < EXCLUDED.fact_at RETURNING 1"
)


def _fact_at(ctx: Context) -> datetime:
    return ctx.envelope.occurred_at


async def _cancelled(ctx: Context, order_id: str) -> bool:
    found = await ctx.session.execute(text("SELECT 1 FROM cancelled_orders WHERE order_id = :o"), {"o": order_id})
    return found.first() is not None


async def _newest(ctx: Context, order_id: str, line_no: int, waiting: bool) -> bool:
    """Record this fact as the line's latest; False when a later one is known already."""
    claimed = await ctx.session.execute(
        _CLAIM_LINE, {"o": order_id, "n": line_no, "at": _fact_at(ctx), "waiting": waiting}
    )
    if claimed.first() is None:
        return False
    await ctx.session.execute(
        text("DELETE FROM line_requirements WHERE order_id = :o AND line_no = :n"), {"o": order_id, "n": line_no}
    )
    return True


async def on_materials_short(ctx: Context, event: ev.MaterialsShort) -> None:
    if await _cancelled(ctx, event.order_id):
        return
    # A line waiting for a recipe or an item (no shortages) waits for nothing we can buy.
    waiting = bool(event.shortages)
    if not await _newest(ctx, event.order_id, event.line_no, waiting):
        return
    for s in event.shortages:
        await ctx.session.execute(
            text("INSERT INTO line_requirements (order_id, line_no, material_sku, required, missing, unit) "
                 "VALUES (:o, :n, :m, :req, :miss, :u)"),
            {"o": event.order_id, "n": event.line_no, "m": s.material_sku, "req": s.required, "miss": s.missing,
             "u": s.unit.value},
        )
        await ctx.session.execute(
            text("INSERT INTO material_stock (material_sku, available, unit, seen_at) VALUES (:m, :a, :u, :at) "
                 "ON CONFLICT (material_sku) DO UPDATE SET available = EXCLUDED.available, unit = EXCLUDED.unit, "
                 "seen_at = EXCLUDED.seen_at WHERE material_stock.seen_at < EXCLUDED.seen_at"),
            {"m": s.material_sku, "a": s.available, "u": s.unit.value, "at": _fact_at(ctx)},
        )


async def on_materials_reserved(ctx: Context, event: ev.MaterialsReserved) -> None:
    if not await _cancelled(ctx, event.order_id):
        await _newest(ctx, event.order_id, event.line_no, waiting=False)


async def on_order_allocated(ctx: Context, event: ev.OrderAllocated) -> None:
    """Lines no longer outstanding are served from stock: they wait for nothing. Lines with
    allocations are recorded too, so a MaterialsShort raised earlier but delivered later
    (another topic) cannot make them wait again."""
    if await _cancelled(ctx, event.order_id):
        return
    outstanding = {o.line_no for o in event.outstanding}
    rows = await ctx.session.execute(
        text("SELECT line_no FROM waiting_lines WHERE order_id = :o AND waiting"), {"o": event.order_id}
    )
    lines = {line_no for (line_no,) in rows.all()} | {a.line_no for a in event.allocations}
    for line_no in sorted(lines - outstanding):
        await _newest(ctx, event.order_id, line_no, waiting=False)


async def on_order_cancelled(ctx: Context, event: ev.OrderCancelled) -> None:
    await ctx.session.execute(
        text("INSERT INTO cancelled_orders (order_id, cancelled_at) VALUES (:o, :at) ON CONFLICT DO NOTHING"),
        {"o": event.order_id, "at": event.cancelled_at},
    )
    await ctx.session.execute(text("DELETE FROM waiting_lines WHERE order_id = :o"), {"o": event.order_id})
