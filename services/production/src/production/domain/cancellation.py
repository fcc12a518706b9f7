"""What happens to a batch when an order it covers is cancelled, or an operator cancels it.

Production decides the fate of its batches; inventory follows the outcome (BatchCancelled:
release every material of the plan; a smaller BatchScheduled: release the excess)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

from contracts.events.base import LineQuantity
from contracts.recipes import batch_quantity
from production.domain.lifecycle import BatchStatus


class Fate(StrEnum):
    untouched = "untouched"  # the order is not covered, or the batch is finished/cancelled
    cancel = "cancel"        # planned, and the order was all it covered
    shrink = "shrink"        # planned, other orders still covered: resize to them
    release = "release"      # started: the batch runs; the order's share will go to stock


def fate(status: BatchStatus, covers: Iterable[LineQuantity], order_id: str, purpose: str = "order") -> Fate:
    covers = list(covers)
    if status not in (BatchStatus.planned, BatchStatus.started):
        return Fate.untouched
    if not any(c.order_id == order_id for c in covers):
        return Fate.untouched
    if status == BatchStatus.started or purpose == "stock":
        # A batch for stock was planned for stock, not for this order: it keeps its size and
        # runs; the order's share goes back to stock.
        return Fate.release
    return Fate.shrink if any(c.order_id != order_id for c in covers) else Fate.cancel


def shrunk_quantity(current: Decimal, remaining: Decimal, batch_min: Decimal, batch_multiple: Decimal) -> Decimal:
    """The plan size once only `remaining` is covered: the recipe's batch rule applied to it,
    but never larger than the plan already is (a cancellation never grows a batch) and never
    below what is still covered."""
    return min(current, max(batch_quantity(remaining, batch_min, batch_multiple), remaining))


def cancel_refusal(status: BatchStatus) -> str | None:
    """Why an operator cannot cancel the batch now, or None if they can. Once started the
    material is in the vessel: the batch completes (perhaps with a small output) instead."""
    if status == BatchStatus.planned:
        return None
    return f"batch is {status.value}; only a planned batch can be cancelled"


def order_cancelled_reason(order_id: str, detail: str = "", order_no: str | None = None) -> str:
    """The reason a batch gives when an order's cancellation cancelled it (shown to operators
    and on the order's timeline): the order by its number, by its id when the number is not
    known (a producer older than OrderCancelled.order_no)."""
    detail = detail.strip()
    return f"order {order_no or order_id} cancelled" + (f": {detail}" if detail else "")
