"""How the channels service's background jobs run: one pass after another (eventkit.jobs.repeat:
a failed pass is logged and the next one comes anyway), each with the connector secrets' box
and one HTTP client for the platforms."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import httpx

from channels.secrets import SecretBox
from eventkit import Runtime
from eventkit.jobs import repeat

log = logging.getLogger("channels.jobs")

Pass = Callable[[Runtime, SecretBox, httpx.AsyncClient], Awaitable[object]]


async def every(rt: Runtime, interval: float, step: Pass, what: str, timeout: float) -> None:
    box = SecretBox(rt.settings.secrets_key)
    async with httpx.AsyncClient(timeout=timeout) as client:
        await repeat(interval, lambda: step(rt, box, client), what, log)
