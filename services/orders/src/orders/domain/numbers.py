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
# event id (perhaps with a fresh timestamp) must add nothing. Other events are identified by
# their whole body (a rescheduled batch or a new cumulative allocation is a new fact).
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
