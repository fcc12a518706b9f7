"""Orders pulled from the platforms rather than pushed: the order a thin notice names (Etsy's
ORDER_PAID carries only a receipt URL), and reconciliation (every order modified since a
point in time), so an order whose webhook was lost still arrives.

Both feed the same intake as webhooks, one order per transaction: the shop order row and the
platform's updated_at make them exactly-once together with webhooks (a version already kept
is a no-op). Network calls happen outside database transactions."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import func, select, text, update

from channels.domain.fulfillment import backoff
from channels.domain.shop_orders import PayloadError
from channels.intake import apply_version
from channels.jobs import every
from channels.platforms import platform_for
from channels.platforms.base import API_FAILURES, PlatformError
from channels.secrets import SecretBox
from channels.shop_api import ready_for_api, shop_api
from channels.tables import Connector
from eventkit import Runtime

log = logging.getLogger("channels.order_import")

# Claimed by moving next_attempt_at a lease ahead: another instance skips the rows (no
# platform call made twice), and a fetcher that died leaves them due again after the lease.
_DUE = text(
    "UPDATE order_fetches f SET next_attempt_at = now() + make_interval(secs => :lease) "
    "FROM (SELECT f2.channel, f2.shop, f2.external_id FROM order_fetches f2 JOIN connectors c USING (channel, shop) "
    "      WHERE f2.status = 'pending' AND f2.next_attempt_at <= now() AND c.enabled AND c.admin_url IS NOT NULL "
    "      ORDER BY f2.next_attempt_at LIMIT 20 FOR UPDATE OF f2 SKIP LOCKED) due "
    "WHERE (f.channel, f.shop, f.external_id) = (due.channel, due.shop, due.external_id) "
    "RETURNING f.channel, f.shop, f.external_id, f.attempts"
)
_DONE = text("UPDATE order_fetches SET status = 'done', attempts = attempts + 1, last_error = NULL "
             "WHERE channel = :channel AND shop = :shop AND external_id = :external_id")
_RETRY = text(
    "UPDATE order_fetches SET attempts = attempts + 1, last_error = :error, "
    "status = CASE WHEN :final OR attempts + 1 >= :max_attempts THEN 'failed' ELSE 'pending' END, "
    "next_attempt_at = now() + make_interval(secs => :delay) "
    "WHERE channel = :channel AND shop = :shop AND external_id = :external_id"
)


async def take_in(rt: Runtime, connector: Connector, payload, source: str) -> str:
    """One order payload through intake in its own transaction; returns its outcome."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    try:
        order = platform_for(connector.channel).parse_order(payload)
    except PayloadError as exc:
        log.warning("%s/%s: an order from the API is unusable: %s", connector.channel, connector.shop, exc)
        return "unusable"
    async with rt.uow.start(correlation_id=None, name=f"import {source}") as ctx:
        fresh = await ctx.session.get(Connector, (connector.channel, connector.shop))
        outcome = await apply_version(ctx, fresh, order, raw, source)
    return outcome.status


async def fetch_due(rt: Runtime, box: SecretBox, client: httpx.AsyncClient) -> int:
    s = rt.settings
    async with rt.uow.sessions() as session, session.begin():
        due = (await session.execute(_DUE, {"lease": s.fetch_lease_seconds})).all()
    fetched = 0
    for row in due:
        key = {"channel": row.channel, "shop": row.shop, "external_id": row.external_id}
        async with rt.uow.sessions() as session:
            connector = await session.get(Connector, (row.channel, row.shop))
        try:
            payload = await platform_for(row.channel).fetch_order(shop_api(rt, box, connector, client), row.external_id)
            await take_in(rt, connector, payload, "fetch")
        except API_FAILURES as exc:
            final = isinstance(exc, PlatformError) and not exc.retryable
            delay = backoff(row.attempts + 1, s.fetch_backoff_initial, s.fetch_backoff_max)
            log.warning("fetching %s order %s of %s failed: %s", row.channel, row.external_id, row.shop, exc)
            async with rt.uow.sessions() as session, session.begin():
                await session.execute(_RETRY, {**key, "error": str(exc)[:500] or repr(exc), "final": final,
                                               "delay": delay, "max_attempts": s.fetch_max_attempts})
            continue
        async with rt.uow.sessions() as session, session.begin():
            await session.execute(_DONE, key)
        fetched += 1
    return fetched


@dataclass(frozen=True)
class Reconciled:
    seen: int
    outcomes: dict[str, int]
    since: datetime
    until: datetime


async def reconcile(rt: Runtime, box: SecretBox, client: httpx.AsyncClient, connector: Connector,
                    since: datetime | None = None) -> Reconciled:
    """Import every order modified since `since` (default: where the last pass left off,
    minus an overlap). The cursor moves only after the whole pass went through."""
    s = rt.settings
    started = datetime.now(timezone.utc)
    if since is None:
        since = (connector.reconcile_from or connector.created_at or started) - timedelta(
            seconds=s.reconcile_overlap_seconds)
    outcomes: dict[str, int] = {}
    seen = 0
    platform = platform_for(connector.channel)
    try:
        async for payload in platform.orders_since(shop_api(rt, box, connector, client), since):
            seen += 1
            status = await take_in(rt, connector, payload, "reconcile")
            outcomes[status] = outcomes.get(status, 0) + 1
    except API_FAILURES as exc:
        async with rt.uow.sessions() as session, session.begin():
            await session.execute(update(Connector).where(Connector.channel == connector.channel,
                                                          Connector.shop == connector.shop)
                                  .values(reconcile_error=str(exc)[:500] or repr(exc),
                                          reconcile_failures=Connector.reconcile_failures + 1,
                                          reconcile_failed_at=func.now()))
        raise
    async with rt.uow.sessions() as session, session.begin():
        await session.execute(
            update(Connector).where(Connector.channel == connector.channel, Connector.shop == connector.shop)
            .values(reconcile_from=started, reconciled_at=started, reconcile_error=None, reconcile_failures=0,
                    reconcile_failed_at=None)
        )
    return Reconciled(seen, outcomes, since, started)


async def reconcile_due(rt: Runtime, box: SecretBox, client: httpx.AsyncClient) -> None:
    interval = timedelta(seconds=rt.settings.reconcile_interval)
    now = datetime.now(timezone.utc)
    async with rt.uow.sessions() as session:
        connectors = (await session.execute(select(Connector))).scalars().all()
    for c in connectors:
        if not ready_for_api(c) or (c.reconciled_at is not None and now - c.reconciled_at < interval):
            continue
        if _backing_off(c, now, rt.settings.reconcile_retry_initial, rt.settings.reconcile_interval):
            continue
        # One instance per connector at a time: a session advisory lock, held for the pass.
        async with rt.uow.sessions() as lock_session:
            got = await lock_session.scalar(text("SELECT pg_try_advisory_lock(hashtext('reconcile:' || :k))"),
                                            {"k": f"{c.channel}/{c.shop}"})
            if not got:
                continue
            try:
                result = await reconcile(rt, box, client, c)
                log.info("reconciled %s/%s: %d orders since %s: %s", c.channel, c.shop, result.seen,
                         result.since.isoformat(), result.outcomes)
            except API_FAILURES as exc:
                log.warning("reconciling %s/%s failed: %s", c.channel, c.shop, exc)
            finally:
                await lock_session.execute(text("SELECT pg_advisory_unlock(hashtext('reconcile:' || :k))"),
                                           {"k": f"{c.channel}/{c.shop}"})


def _backing_off(c: Connector, now: datetime, initial: float, maximum: float) -> bool:
    """A scheduled pass after failures waits 30 s, 1 min, 2 min ... up to the interval; a
    connector changed since its last failure (new credentials) is tried at once."""
    if not c.reconcile_failures or c.reconcile_failed_at is None:
        return False
    if c.updated_at is not None and c.updated_at > c.reconcile_failed_at:
        return False
    pause = timedelta(seconds=backoff(c.reconcile_failures, initial, maximum))
    return now - c.reconcile_failed_at < pause


async def fetch_orders(rt: Runtime) -> None:
    await every(rt, rt.settings.fetch_poll_interval, fetch_due, "order fetches", rt.settings.api_timeout)


async def reconcile_orders(rt: Runtime) -> None:
    await every(rt, rt.settings.reconcile_poll_interval, reconcile_due, "reconciliation", rt.settings.api_timeout)
