"""The e-mails a customer gets: when (part of) the order ships, and when its expected date
slips past the date promised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class ItemLine:
    sku: str
    quantity: Decimal
    unit: str
    lot_no: str


def _qty(q: Decimal) -> str:
    # 12.000000 -> 12, 1.250000 -> 1.25: customers read the quantity, not the column type.
    return format(q.normalize(), "f")


def shipped_mail(
    order_no: str | None,
    recipient_name: str | None,
    carrier: str,
    tracking_no: str,
    items: list[ItemLine],
    partial: bool = False,
    follow_up: bool = False,
) -> tuple[str, str]:
    """(subject, body) of the shipping confirmation. `partial`: the rest is backordered and
    follows later; `follow_up`: an earlier part of the order already left."""
    ref = f"your order {order_no}" if order_no else "your order"
    if partial:
        what = f"part of {ref}"
    elif follow_up:
        what = f"the rest of {ref}"
    else:
        what = ref
    subject = f"{what[0].upper()}{what[1:]} has shipped ({carrier} {tracking_no})"
    greeting = f"Hello {recipient_name}," if recipient_name else "Hello,"
    lines = [greeting, "", f"{what[0].upper()}{what[1:]} is on its way."]
    if partial:
        lines.append("The remaining items follow in a later shipment; we will e-mail you when they leave.")
    lines += [
        "",
        f"Carrier: {carrier}",
        f"Tracking number: {tracking_no}",
        "",
        "Items:",
    ]
    lines += [f"  - {_qty(i.quantity)} {i.unit} {i.sku} (lot {i.lot_no})" for i in items]
    lines += ["", "Thank you for your order."]
    return subject, "\n".join(lines) + "\n"


def delivered_mail(order_no: str | None, recipient_name: str | None, carrier: str, tracking_no: str,
                   items: list[ItemLine]) -> tuple[str, str]:
    ref = f"your order {order_no}" if order_no else "your order"
    subject = f"{ref[0].upper()}{ref[1:]} has been delivered"
    greeting = f"Hello {recipient_name}," if recipient_name else "Hello,"
    lines = [greeting, "", f"{carrier} delivered the parcel of {ref} (tracking number {tracking_no}).", "", "Items:"]
    lines += [f"  - {_qty(i.quantity)} {i.unit} {i.sku}" for i in items]
    lines += ["", "Thank you for your order."]
    return subject, "\n".join(lines) + "\n"


def tells_customer(promised: date | None, expected: date | None, previous: date | None) -> bool:
    """A delay notice is due when the expected date moved later and past the promise. A move
    earlier, or one still within the promise, is no news for the customer; each later date
    is told once (the caller keeps one notice per order and date)."""
    if promised is None or expected is None or expected <= promised:
        return False
    return previous is None or expected > previous


def delayed_mail(order_no: str | None, recipient_name: str | None, promised: date, expected: date) -> tuple[str, str]:
    ref = f"your order {order_no}" if order_no else "your order"
    subject = f"{ref[0].upper()}{ref[1:]} will ship later than promised"
    greeting = f"Hello {recipient_name}," if recipient_name else "Hello,"
    lines = [
        greeting, "",
        f"We promised to ship {ref} on {promised.isoformat()}; we now expect to ship it on {expected.isoformat()}.",
        "We are sorry for the delay. We will write again if the date changes once more.",
        "", "Thank you for your patience.",
    ]
    return subject, "\n".join(lines) + "\n"


@dataclass(frozen=True)
class RecalledItem:
    sku: str
    quantity: Decimal
    unit: str
    lot_no: str
    shipped_on: date | None
    carrier: str | None
    tracking_no: str | None


def recall_mail(order_no: str | None, recipient_name: str | None, reason: str, items: list[RecalledItem]) -> tuple[str, str]:
    """(subject, body) of a recall notice: what the customer received, when and in which
    parcel, why it is recalled, and what to do (keep it aside and answer)."""
    ref = f"your order {order_no}" if order_no else "your order"
    subject = f"Recall notice: goods from {ref}"
    greeting = f"Hello {recipient_name}," if recipient_name else "Hello,"
    lines = [greeting, "", f"We are recalling goods that you received with {ref}.", f"Reason: {reason}", "", "Affected items:"]
    for i in items:
        when = f"shipped {i.shipped_on.isoformat()}" if i.shipped_on else "shipped"
        parcel = f" with {i.carrier} (tracking {i.tracking_no})" if i.carrier else ""
        lines.append(f"  - {_qty(i.quantity)} {i.unit} {i.sku} (lot {i.lot_no}), {when}{parcel}")
    lines += ["", "Please do not use these items. Reply to this e-mail to tell us you received this notice,",
              "and we will arrange the return or a replacement.", "", "We are sorry for the trouble."]
    return subject, "\n".join(lines) + "\n"
