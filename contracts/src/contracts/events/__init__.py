"""Event models, one module per producing service. Import them from here."""

from contracts.events.base import Event
from contracts.events.channels import ChannelOrderCancelled, ChannelOrderReceived
from contracts.events.inventory import (
    GoodsReceived, ItemDefined, LotHeld, LotReleased, MaterialsReserved, MaterialsShort, OrderAllocated, RecallOpened,
    ReorderPointReached, ReplenishmentPlanned, StockReleased,
)
from contracts.events.orders import OrderCancelled, OrderPlaced, PromiseChanged
from contracts.events.production import (
    BatchCancelled,
    BatchCompleted,
    BatchScheduled,
    BatchStarted,
    RecipePublished,
)
from contracts.events.purchasing import PurchaseOrderCancelled, PurchaseOrderPlaced
from contracts.events.shipping import Delivered, Shipped, ShipmentWithdrawn

__all__ = [
    "Event",
    "OrderPlaced",
    "OrderCancelled",
    "PromiseChanged",
    "ChannelOrderReceived",
    "ChannelOrderCancelled",
    "ItemDefined",
    "MaterialsReserved",
    "MaterialsShort",
    "OrderAllocated",
    "StockReleased",
    "GoodsReceived",
    "LotHeld",
    "LotReleased",
    "RecallOpened",
    "ReorderPointReached",
    "ReplenishmentPlanned",
    "PurchaseOrderPlaced",
    "PurchaseOrderCancelled",
    "RecipePublished",
    "BatchScheduled",
    "BatchStarted",
    "BatchCompleted",
    "BatchCancelled",
    "Shipped",
    "Delivered",
    "ShipmentWithdrawn",
]
