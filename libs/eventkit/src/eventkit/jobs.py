"""A service's periodic background job: one pass after another, forever. A pass that fails
is logged (the database away: a warning; anything else: a stack trace, since it is a bug)
and the next pass comes anyway: a background job must never die of one bad pass."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from eventkit.errors import is_transient


async def repeat(interval: float, step: Callable[[], Awaitable[object]], what: str, log: logging.Logger,
                 *, wait_first: bool = False) -> None:
    """Run `step` every `interval` seconds (after the pass, so passes never overlap);
    `wait_first`: the first pass after one interval rather than at once."""
    if wait_first:
        await asyncio.sleep(interval)
    while True:
        try:
            await step()
        except Exception as exc:
            if is_transient(exc):
                log.warning("%s: database unavailable: %s", what, exc)
            else:
                log.exception("%s: pass failed", what)
        await asyncio.sleep(interval)
