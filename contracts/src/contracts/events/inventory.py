"""Events published by the inventory service (stock, reservations, allocations)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.events.base import Event, LotQuantity, NonNegativeQuantity, Quantity, Sku
from contracts.units import Unit


class MaterialsReserved(Event):
    """Material for a planned batch (`plan_id`, which production uses as the batch id) is
    set aside, and part of that plan's output is promised to this order's line.

    `reservations` lists what this event newly reserved; it is empty when the order was
    promised against the unpromised surplus of a plan made earlier for another order."""

    event_type = "MaterialsReserved"
    key_field = "order_id"

    order_id: str
    line_no: int = Field(ge=1)
    plan_id: str
    sku: Sku
    quantity_promised: Quantity
    batch_quantity: Quantity
    unit: Unit
    recipe_version: int
    lead_time_days: int = Field(ge=0)
    reservations: list[LotQuantity] = []
    # Added (optional): what the plan was made for. "stock" when the order is promised against
    # a batch for stock: this event may reach production before the plan's ReplenishmentPlanned
    # (another topic), and the order's cancellation must not cancel that batch meanwhile.
    plan_purpose: Literal["order", "stock"] | None = None


class MaterialShortage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    material_sku: Sku
    required: Quantity
    available: NonNegativeQuantity
    missing: Quantity
    unit: Unit


class MaterialsShort(Event):
    """An order line cannot be made: its materials are short. The order waits; the
    shortages say what to buy."""

    event_type = "MaterialsShort"
    key_field = "order_id"

    order_id: str
    line_no: int = Field(ge=1)
    sku: Sku
    quantity: Quantity
    unit: Unit
    shortages: list[MaterialShortage] = []
    # Set when the product has no recipe at all (nothing can be made until one is published).
    reason: str = ""
    # Added in 1.1 (optional). What kind of wait this is, for machines (the operators' stuck
    # list, analytics): one of SHORTAGE_REASON_CODES; `reason` stays the words for people.
    reason_code: str | None = None
    # Added in 1.1 (optional). When the line could be ready if what is missing is bought now:
    # the longest supplier lead time of the missing materials + the recipe's lead time
    # (production's capacity is not known to inventory, so this is the earliest). None when
    # nothing can date it (no recipe, unknown item, a material without a lead time).
    expected_date: date | None = None


# The values MaterialsShort.reason_code takes (new ones may be added within v1: read
# unknown codes as "other").
SHORTAGE_REASON_CODES = ("shortage", "unknown_item", "bad_unit", "no_recipe", "broken_recipe", "on_hold")


class LineOutstanding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    line_no: int = Field(ge=1)
    sku: Sku
    quantity: Quantity
    unit: Unit


class Allocation(LotQuantity):
    allocation_id: str
    line_no: int = Field(ge=1)


class OrderAllocated(Event):
    """Finished goods were set aside for the order. Cumulative: `allocations` is every open
    allocation of the order so far and `outstanding` what is still missing, so the latest
    event on the order's key is its whole allocation state."""

    event_type = "OrderAllocated"
    key_field = "order_id"

    order_id: str
    allocations: list[Allocation]
    outstanding: list[LineOutstanding] = []
    fully_allocated: bool
    # True when part of the order waits for a later batch (e.g. a batch yielded less than
    # planned): what is allocated may ship now as a partial shipment.
    backordered: bool = False

    def allocated_quantity(self) -> Decimal:
        return sum((a.quantity for a in self.allocations), Decimal(0))


class PromiseReleased(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    plan_id: str
    line_no: int = Field(ge=1)
    quantity: Quantity


class StockReleased(Event):
    """What was set aside for an order (finished-goods allocations, promises against planned
    batches) was released, because the order was cancelled. Material reservations belong to
    batches, not orders: they follow BatchCancelled / a shrunk BatchScheduled."""

    event_type = "StockReleased"
    key_field = "order_id"

    order_id: str
    allocations: list[Allocation] = []
    promises: list[PromiseReleased] = []
    reason: str = ""


class ItemDefined(Event):
    """The current definition of a catalog item, published by inventory (which owns items)
    whenever an item is created or changed, on a compacted topic keyed by SKU: the latest
    message per SKU is the item as it stands. Other services keep a replica of what they need
    from it (orders checks order lines at the door, production checks recipes).

    `revision` grows with every change of the item: a replica keeps the highest it has seen,
    so a replayed or redelivered older definition changes nothing."""

    event_type = "ItemDefined"
    key_field = "sku"

    sku: Sku
    name: str = Field(min_length=1, max_length=200)
    # raw: bought; finished: made and sold; intermediate: made, used in other recipes, not sold.
    kind: Literal["raw", "finished", "intermediate"]
    base_unit: Unit
    # May be ordered by customers (finished goods).
    sellable: bool
    # Plausibility bound of one order line, in `base_unit`; None: only the global bound applies.
    max_order_quantity: Quantity | None = None
    # An inactive item is kept for history but may not be ordered or used in new recipes.
    active: bool = True
    revision: int = Field(default=1, ge=1)


class GoodsReceived(Event):
    """Goods arrived and became a lot (stock from now on). Against a purchase order when
    `purchase_order_id` and `po_line` are set (purchasing moves the PO line); without, a
    receipt of its own. Keyed by the item's SKU: one material's receipts in order."""

    event_type = "GoodsReceived"
    key_field = "sku"

    lot_id: str
    lot_no: str
    supplier_lot_no: str | None = None
    sku: Sku
    # As received (the unit the goods were counted in) and in the item's base unit.
    quantity: Quantity
    unit: Unit
    base_quantity: Quantity
    base_unit: Unit
    received_date: date
    expiry_date: date | None = None
    purchase_order_id: str | None = None
    po_line: int | None = Field(default=None, ge=1)


class LotHeld(Event):
    """A lot was put on hold (a quality hold, or part of a recall when `recall_id` is set):
    from now on it is neither allocated nor consumed, and what is set aside in it waits.
    `hold_seq` grows with every hold and release of the lot: LotHeld and LotReleased travel
    on two topics, so a consumer keeps the highest it saw. `orders`: the orders whose open
    allocations are in the lot (blocked until the hold ends)."""

    event_type = "LotHeld"
    key_field = "lot_id"

    lot_id: str
    lot_no: str
    supplier_lot_no: str | None = None
    sku: Sku
    reason: str = Field(min_length=1, max_length=500)
    recall_id: str | None = None
    hold_seq: int = Field(ge=1)
    held_at: datetime
    orders: list[str] = []


class LotReleased(Event):
    """A hold ended (quality cleared, or a recall closed with `release`): the lot may be
    allocated and consumed again. See LotHeld for `hold_seq` and `orders`."""

    event_type = "LotReleased"
    key_field = "lot_id"

    lot_id: str
    lot_no: str
    sku: Sku
    reason: str = ""
    recall_id: str | None = None
    hold_seq: int = Field(ge=1)
    released_at: datetime
    orders: list[str] = []


class RecalledLot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    lot_id: str
    lot_no: str
    sku: Sku
    supplier_lot_no: str | None = None


class RecalledGoods(LotQuantity):
    """Goods of a recalled lot that left in a shipment."""

    shipment_id: str | None = None


class RecallCustomer(BaseModel):
    """A customer who received goods of a recalled lot, per order."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    order_id: str
    order_no: str
    customer: str = ""
    shipment_ids: list[str] = []
    lots: list[str] = []  # lot numbers
    goods: list[RecalledGoods] = []


class RecallOpened(Event):
    """A recall was opened on a lot: the lot and every lot made from it (`lots`, the forward
    trace) are on hold (one LotHeld each, with this recall id), and `customers` are those
    who already received goods of them: each is told once."""

    event_type = "RecallOpened"
    key_field = "recall_id"

    recall_id: str
    lot_id: str
    lot_no: str
    sku: Sku
    reason: str = Field(min_length=1, max_length=500)
    opened_at: datetime
    lots: list[RecalledLot]
    customers: list[RecallCustomer] = []


class ReorderPointReached(Event):
    """Make to stock: an item's position (free usable stock + open supply: the unpromised
    output of planned batches for a finished good, open purchase order lines for a material)
    fell below its reorder point. Raised once per crossing: the next one comes only after
    the position was back at or above the point. `quantity` brings the position up to
    `target` (min/max, or the days-of-cover level from recent demand).

    `action`: `batch` (a finished good: a batch for stock is planned, see
    ReplenishmentPlanned; `status` `waiting` with `shortages` when its materials are short)
    or `purchase` (a material: purchasing suggests buying it, reason "reorder point")."""

    event_type = "ReorderPointReached"
    key_field = "sku"

    replenishment_id: str
    sku: Sku
    item_kind: Literal["raw", "finished", "intermediate"]
    unit: Unit
    on_hand_free: NonNegativeQuantity
    open_supply: NonNegativeQuantity
    reorder_point: NonNegativeQuantity
    target: NonNegativeQuantity
    quantity: Quantity
    # min_max: the target as set; days_of_cover: average daily demand over the lookback x days.
    rule: Literal["min_max", "days_of_cover"]
    action: Literal["batch", "purchase"]
    status: Literal["planned", "waiting", "suggested"]
    plan_id: str | None = None
    shortages: list[MaterialShortage] = []
    reason: str = "reorder point"
    reached_at: datetime


class ReplenishmentPlanned(Event):
    """A batch for stock (no customer order) was planned by inventory and its materials
    reserved: production adds it to the same queue as batches for orders (`plan_id` is its
    batch id, purpose `stock`). Orders placed later may be promised against its output;
    what nobody claims goes into free stock when it completes."""

    event_type = "ReplenishmentPlanned"
    key_field = "plan_id"

    replenishment_id: str
    plan_id: str
    sku: Sku
    batch_quantity: Quantity
    unit: Unit
    recipe_version: int
    lead_time_days: int = Field(ge=0)
    reservations: list[LotQuantity] = []
    planned_at: datetime
