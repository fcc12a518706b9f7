"""Human-readable order numbers and the fingerprint that tells a retried POST from a
conflicting one."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any


def order_no(n: int) -> str:
    # Six digits to start with; the number simply grows past a million.
    return f"SO-{n:06d}"


def fingerprint(content: Any) -> str:
    """A stable hash of JSON-able content; Decimals compare by value (10 == 10.000)."""

    def norm(v: Any) -> Any:
        if isinstance(v, Decimal):
            return format(v.normalize(), "f")
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        return v

    raw = json.dumps(norm(content), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


# Events whose identity is one thing happening once: the same fact re-emitted under a new
# event id (perhaps with a fresh timestamp) must add nothing, however late. Other events are
# statements of a current state, identified by their whole body (a rescheduled batch or a new
# cumulative allocation is a new fact): see `fact_kind`.
_IDENTITY_FIELDS = {
    "Shipped": ("shipment_id",),
    "Delivered": ("shipment_id",),
    "BatchStarted": ("batch_id",),
    "BatchCompleted": ("batch_id",),
    "BatchCancelled": ("batch_id",),
    "ShipmentWithdrawn": ("shipment_id",),
}


def fact_hash(event_type: str, body: dict[str, Any]) -> str:
    fields = _IDENTITY_FIELDS.get(event_type)
    return fingerprint({k: body.get(k) for k in fields} if fields else body)


def happens_once(event_type: str) -> bool:
    return event_type in _IDENTITY_FIELDS


# What a line's supply is: short of something, or reserved for a plan. A shortage said again
# after the line was reserved is news, so both kinds of statement share one history per line.
_LINE_SUPPLY = {"MaterialsShort", "MaterialsReserved"}


def fact_kind(event_type: str, body: dict[str, Any]) -> str:
    """Which history of the order a statement belongs to: its repeat (the same body under a
    new event id) is only a repeat when it equals the latest statement of that history. A
    line's supply per line, a batch's schedule per batch, anything else per event type."""
    if event_type in _LINE_SUPPLY and body.get("line_no") is not None:
        return f"supply:line:{body['line_no']}"
    if event_type == "BatchScheduled" and body.get("batch_id"):
        return f"{event_type}:{body['batch_id']}"
    return event_type
