"""The life of a purchase order: draft -> sent -> partly_received -> received, or cancelled
before it is fully received. Receipts move it; a receipt is judged against the line's
quantity and the tolerance the PO was sent with."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)


class Status(StrEnum):
    draft = "draft"
    sent = "sent"
    partly_received = "partly_received"
    received = "received"
    cancelled = "cancelled"


# Orders that are (or may become) expected supply: counted against suggestions.
OPEN = (Status.draft, Status.sent, Status.partly_received)


def send_refusal(status: Status) -> str | None:
    if status is Status.draft:
        return None
    return f"purchase order is {status.value}: only a draft can be sent"


def cancel_refusal(status: Status) -> str | None:
    if status in OPEN:
        return None
    return f"purchase order is {status.value}: it cannot be cancelled"


def after_receipt(status: Status, ordered: list[Decimal], received: list[Decimal]) -> Status:
    """The PO's status once its lines hold `received` of `ordered` (same order). A
    cancelled PO stays cancelled (goods that came anyway are recorded on the line)."""
    if status in (Status.cancelled, Status.draft):
        return status
    if all(r >= o for o, r in zip(ordered, received, strict=True)):
        return Status.received
    if any(r > 0 for r in received):
        return Status.partly_received
    return status

