"""Background job: POST pending fulfillments to the shops' admin APIs.

`{admin_url}/orders/{external_id}/fulfillments` with JSON {tracking_number,
tracking_company, line_items}. One row per transaction, claimed FOR UPDATE SKIP LOCKED so
instances share the work without posting a row twice; the row stays locked during the
call. A crash after the shop accepted but before our commit posts it again: the
`Idempotency-Key` header (the fulfillment id) lets the shop side drop that repeat.
Failures back off exponentially; after `fulfillment_max_attempts` the row is `failed`.
A connector without admin_url keeps its fulfillments pending until one is configured."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from urllib.parse import quote

from sqlalchemy import text

from channels.domain.fulfillment import backoff
from eventkit import Runtime, is_transient

log = logging.getLogger("channels.fulfillment_sync")

_CLAIM = text(
    "SELECT f.fulfillment_id, f.channel, f.external_id, f.tracking_number, f.tracking_company, f.line_items, "
    "f.attempts, c.admin_url, c.admin_token "
    "FROM fulfillments f JOIN connectors c USING (channel, shop) "
    "WHERE f.status = 'pending' AND f.next_attempt_at <= now() AND c.admin_url IS NOT NULL "
    "ORDER BY f.next_attempt_at, f.created_at LIMIT 1 FOR UPDATE OF f SKIP LOCKED"
)
_SYNCED = text(
    "UPDATE fulfillments SET status = 'synced', synced_at = now(), attempts = attempts + 1, last_error = NULL "
    "WHERE fulfillment_id = :id"
)
_FAILED = text(
    "UPDATE fulfillments SET attempts = attempts + 1, last_error = :error, "
    "status = CASE WHEN attempts + 1 >= :max_attempts THEN 'failed' ELSE 'pending' END, "
    "next_attempt_at = now() + make_interval(secs => :delay) WHERE fulfillment_id = :id"
)


def _post(url: str, body: dict, headers: dict[str, str], timeout: float) -> int:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # raises HTTPError on >= 400
        return resp.status


def _request(row) -> tuple[str, dict, dict[str, str]]:
    url = f"{row.admin_url.rstrip('/')}/orders/{quote(row.external_id, safe='')}/fulfillments"
    body = {"tracking_number": row.tracking_number, "tracking_company": row.tracking_company, "line_items": row.line_items}
    headers = {"Content-Type": "application/json", "Idempotency-Key": str(row.fulfillment_id)}
    if row.admin_token:
        if row.channel == "shopify":
            headers["X-Shopify-Access-Token"] = row.admin_token
        else:
            headers["Authorization"] = f"Bearer {row.admin_token}"
    return url, body, headers


async def sync_due(rt: Runtime) -> int:
    """Post every fulfillment that is due now; returns how many the shops accepted."""
    s = rt.settings
    synced = 0
    while True:
        async with rt.uow.sessions() as session, session.begin():
            row = (await session.execute(_CLAIM)).first()
            if row is None:
                return synced
            url, body, headers = _request(row)
            try:
                await asyncio.to_thread(_post, url, body, headers, s.fulfillment_timeout)
            except Exception as exc:  # HTTP error status, refused, timed out: retry later
                error = f"HTTP {exc.code}: {exc.reason}" if isinstance(exc, urllib.error.HTTPError) else str(exc)
                delay = backoff(row.attempts + 1, s.fulfillment_backoff_initial, s.fulfillment_backoff_max)
                log.warning("fulfillment %s to %s failed (attempt %d): %s", row.fulfillment_id, url, row.attempts + 1, error)
                await session.execute(
                    _FAILED,
                    {"id": row.fulfillment_id, "error": error[:500], "delay": delay, "max_attempts": s.fulfillment_max_attempts},
                )
            else:
                await session.execute(_SYNCED, {"id": row.fulfillment_id})
                synced += 1


async def sync_fulfillments(rt: Runtime) -> None:
    while True:
        try:
            await sync_due(rt)
        except Exception as exc:
            if is_transient(exc):
                log.warning("fulfillments: database unavailable: %s", exc)
            else:
                log.exception("fulfillments: sync pass failed")
        # Shipped is handled in the consumer's transaction; polling is what notices new rows.
        await asyncio.sleep(rt.settings.fulfillment_poll_interval)
