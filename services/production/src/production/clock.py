"""The service's notion of "now": UTC, in one place so dates agree across handlers and API."""

from __future__ import annotations

from datetime import date, datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def today() -> date:
    return now().date()
