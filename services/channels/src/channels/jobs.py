"""How the channels service's background jobs run: one pass after another, each with the
connector secrets' box and one HTTP client for the platforms; a pass that fails is logged
(the database away: a warning; anything else: a stack trace) and the next one comes anyway."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import httpx

from channels.secrets import SecretBox
from eventkit import Runtime, is_transient

log = logging.getLogger("channels.jobs")

Pass = Callable[[Runtime, SecretBox, httpx.AsyncClient], Awaitable[object]]


async def every(rt: Runtime, interval: float, step: Pass, what: str, timeout: float) -> None:
    box = SecretBox(rt.settings.secrets_key)
    async with httpx.AsyncClient(timeout=timeout) as client:
        while True:
            try:
                await step(rt, box, client)
            except Exception as exc:
                if is_transient(exc):
                    log.warning("%s: database unavailable: %s", what, exc)
                else:
                    log.exception("%s: pass failed", what)
            await asyncio.sleep(interval)
