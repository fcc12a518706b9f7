"""The events purchasing consumes, each mapped to the module that owns its effect. Every
handler runs in the transaction that records the event in the inbox and is idempotent by
state too (the same fact may come again under a new event id)."""

from __future__ import annotations

from contracts import events as ev
from purchasing.catalog import on_item_defined
from purchasing.demand import on_materials_reserved, on_materials_short, on_order_allocated, on_order_cancelled
from purchasing.receiving import on_goods_received
from purchasing.reorder_points import on_reorder_point_reached, on_replenishment_planned

HANDLERS = {
    ev.ItemDefined: on_item_defined,
    ev.MaterialsShort: on_materials_short,
    ev.MaterialsReserved: on_materials_reserved,
    ev.OrderAllocated: on_order_allocated,
    ev.OrderCancelled: on_order_cancelled,
    ev.GoodsReceived: on_goods_received,
    ev.ReorderPointReached: on_reorder_point_reached,
    ev.ReplenishmentPlanned: on_replenishment_planned,
}
