"""Background job: report pending fulfillments to the shops through each platform's API.

One row per transaction, claimed FOR UPDATE SKIP LOCKED so instances share the work without
reporting a row twice; the row stays locked during the call. A crash after the shop accepted
but before our commit reports it again: our fulfillment id goes along where the platform
takes an idempotency key. Retryable failures (5xx, 429, network) back off exponentially;
after `fulfillment_max_attempts`, or at once for a request the platform refuses (4xx), the
row is `failed`: visible to the operator, who can retry it by hand (`POST
/fulfillments/{id}/retry`). A connector without an API URL keeps its fulfillments pending."""

from __future__ import annotations

import logging
from decimal import Decimal

import httpx
from sqlalchemy import text

from channels.domain.fulfillment import backoff
from channels.jobs import every
from channels.platforms import platform_for
from channels.platforms.base import API_FAILURES, FulfillmentLine, FulfillmentRequest, PlatformError
from channels.secrets import SecretBox
from channels.shop_api import shop_api
from channels.tables import Connector
from eventkit import Runtime

log = logging.getLogger("channels.fulfillment_sync")

_CLAIM = text(
    "SELECT f.* FROM fulfillments f JOIN connectors c USING (channel, shop) "
    "WHERE f.status = 'pending' AND f.next_attempt_at <= now() AND c.admin_url IS NOT NULL AND c.enabled "
    "ORDER BY f.next_attempt_at, f.created_at LIMIT 1 FOR UPDATE OF f SKIP LOCKED"
)
_SYNCED = text(
    "UPDATE fulfillments SET status = 'synced', synced_at = now(), attempts = attempts + 1, last_error = NULL, "
    "platform_fulfillment_id = :platform_id WHERE fulfillment_id = :id"
)
_FAILED = text(
    "UPDATE fulfillments SET attempts = attempts + 1, last_error = :error, "
    "status = CASE WHEN :final OR attempts + 1 >= :max_attempts THEN 'failed' ELSE 'pending' END, "
    "next_attempt_at = now() + make_interval(secs => :delay) WHERE fulfillment_id = :id"
)


def request_of(row) -> FulfillmentRequest:
    return FulfillmentRequest(
        fulfillment_id=str(row.fulfillment_id), external_id=row.external_id,
        lines=[FulfillmentLine(li.get("id"), li.get("sku") or "", Decimal(str(li["quantity"]))) for li in row.line_items],
        carrier=row.tracking_company, tracking_number=row.tracking_number, tracking_url=row.tracking_url,
        complete=row.complete,
    )


async def sync_due(rt: Runtime, box: SecretBox, client: httpx.AsyncClient) -> int:
    """Report every fulfillment that is due now; returns how many the shops accepted."""
    s = rt.settings
    synced = 0
    while True:
        async with rt.uow.sessions() as session, session.begin():
            row = (await session.execute(_CLAIM)).first()
            if row is None:
                return synced
            connector = await session.get(Connector, (row.channel, row.shop))
            platform = platform_for(row.channel)
            try:
                platform_id = await platform.fulfill(shop_api(rt, box, connector, client), request_of(row))
            except API_FAILURES as exc:
                final = isinstance(exc, PlatformError) and not exc.retryable
                delay = backoff(row.attempts + 1, s.fulfillment_backoff_initial, s.fulfillment_backoff_max)
                log.warning("fulfillment %s of %s order %s failed (attempt %d): %s",
                            row.fulfillment_id, row.channel, row.external_id, row.attempts + 1, exc)
                await session.execute(_FAILED, {"id": row.fulfillment_id, "error": str(exc)[:500] or repr(exc),
                                                "delay": delay, "final": final,
                                                "max_attempts": s.fulfillment_max_attempts})
            else:
                await session.execute(_SYNCED, {"id": row.fulfillment_id,
                                                "platform_id": None if platform_id is None else str(platform_id)})
                synced += 1


async def sync_fulfillments(rt: Runtime) -> None:
    # Shipped is handled in the consumer's transaction; polling is what notices new rows.
    await every(rt, rt.settings.fulfillment_poll_interval, sync_due, "fulfillments", rt.settings.fulfillment_timeout)
