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
