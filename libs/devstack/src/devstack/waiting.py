"""Waiting for a running system without fixed sleeps: poll a condition until a deadline."""

from __future__ import annotations

import asyncio
import time


async def poll(check, deadline: float = 60.0, interval: float = 0.1, what: str = "condition"):
    """Call `check` (sync or async) until it returns something truthy, and return that;
    raise AssertionError naming `what` (and the last value seen) at the deadline."""
    end = time.monotonic() + deadline
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline}s waiting for {what} (last: {result!r})")
        await asyncio.sleep(interval)
