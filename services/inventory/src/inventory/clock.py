"""The calendar day stock is judged on (expiry, receipt dates, promised dates)."""

from __future__ import annotations

from datetime import date, datetime, timezone


def today() -> date:
    """Expiry is judged on the UTC calendar day."""
    return datetime.now(timezone.utc).date()
