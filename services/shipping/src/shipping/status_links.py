"""Private links to a customer's order status page (shown by the gateway at /track/{token}).

A token is 192 random bits (URL-safe base64, 32 characters); the database keeps only its
SHA-256, so a copy of the database opens no page. At most one live link per order: issuing
a new one revokes the old, a revoked link never opens again. Resolving a token that is
unknown, revoked or malformed gives the same None (the caller answers 404 alike).

A mail not sent yet keeps its link's token (`notifications.secret`) until it leaves: when a
new link is issued by an operator, such mails (the order confirmation held for its date, one that failed
and waits for a retry) carry the new link, not the one just revoked. When an operator only
revokes the link, they say it was withdrawn instead, and a mail that only brought a link
is not sent: no mail leaves with a link that opens nothing."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit import Runtime
from shipping import repository as repo
from shipping.domain.carriers import tracking_url
from shipping.domain.notification import Recipient, status_link_mail, without_status_link
from shipping.tables import Notification, Shipment, StatusLink

TOKEN_BYTES = 24
# What a token of ours looks like; anything else is not looked up at all.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")
# Order ids as the gateway accepts them (uuids, shop-derived ids): a NUL byte never reaches SQL.
ORDER_ID_SHAPE = r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/track/{token}"


# Built once: every order confirmation issues a link (see order_rows.py for why).
_REVOKE = text("UPDATE status_links SET revoked_at = now() WHERE order_id = :order_id AND revoked_at IS NULL")
_ISSUE = text(
    "INSERT INTO status_links (link_id, order_id, token_hash, created_at) VALUES (:link_id, :order_id, :token_hash, now())"
)
# Mails of the order still to be sent with a link: they get the new one.
_RELINK = text(
    "UPDATE notifications SET secret = :token WHERE order_id = :order_id AND secret IS NOT NULL "
    "AND status IN ('pending', 'failed')"
)

_UNSENT = "order_id = :order_id AND secret IS NOT NULL AND status IN ('pending', 'failed')"
_DROP_LINK_MAILS = text(f"DELETE FROM notifications WHERE kind = 'status_link' AND {_UNSENT}")
_UNSENT_WITH_LINK = text(f"SELECT notification_id, body FROM notifications WHERE {_UNSENT} FOR UPDATE")
_WITHDRAW = text("UPDATE notifications SET body = :body, secret = NULL WHERE notification_id = :id")


async def issue(session: AsyncSession, order_id: str) -> tuple[str, int]:
    """A new live link for the order (the previous one revoked); returns the token, which is
    never stored (the caller puts it in the mail's `secret` until the mail is sent), and how
    many live links were revoked (0 or 1)."""
    revoked = await revoke(session, order_id)
    token = new_token()
    await session.execute(_ISSUE, {"link_id": uuid.uuid4(), "order_id": order_id, "token_hash": token_hash(token)})
    return token, revoked


async def relink_unsent(session: AsyncSession, order_id: str, token: str) -> None:
    """The order's mails not sent yet carry `token`'s link instead of the one they were written
    with. Only an operator's new link needs it: the first confirmation is the order's first mail."""
    await session.execute(_RELINK, {"order_id": order_id, "token": token})


async def withdraw_from_unsent(session: AsyncSession, order_id: str, to: Recipient) -> None:
    """The link was revoked and none issued: the order's mails not sent yet must not carry it.
    A mail that only brought a link is not sent at all; any other (the confirmation held for
    its date, a mail waiting for a retry) says the link was withdrawn. A mail the sender is
    sending at this moment is waited for, and left as sent."""
    await session.execute(_DROP_LINK_MAILS, {"order_id": order_id})
    for notification_id, body in (await session.execute(_UNSENT_WITH_LINK, {"order_id": order_id})).all():
        await session.execute(_WITHDRAW, {"id": notification_id, "body": without_status_link(body, to)})


async def revoke(session: AsyncSession, order_id: str) -> int:
    """Revoke the order's live link; how many were live (0 or 1)."""
    return (await session.execute(_REVOKE, {"order_id": order_id})).rowcount


async def resolve(session: AsyncSession, token: str) -> str | None:
    """The order a live token opens, or None."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    return (await session.execute(
        select(StatusLink.order_id).where(StatusLink.token_hash == token_hash(token), StatusLink.revoked_at.is_(None))
    )).scalar_one_or_none()


async def links_of(session: AsyncSession, order_id: str) -> list[StatusLink]:
    return list((await session.execute(
        select(StatusLink).where(StatusLink.order_id == order_id).order_by(StatusLink.created_at)
    )).scalars())


# -- HTTP: resolve (for the gateway's public page), revoke and re-issue (operators) ----------

class ResolveRequest(BaseModel):
    # In the body, not the path: a token in a URL ends up in access logs.
    token: str = Field(max_length=200)


class PublicShipment(BaseModel):
    """What a customer may see of a parcel: no ids, lots or costs."""

    carrier: str
    tracking_no: str
    tracking_url: str | None
    status: str  # shipped | delivered
    shipped_at: datetime | None
    delivered_at: datetime | None
    items: list[dict]  # {sku, quantity, unit}, summed over lots


class Resolved(BaseModel):
    order_id: str
    order_no: str | None
    shipments: list[PublicShipment]
    language: str | None = None  # the shop's tag its customer mails are written in ('fr-FR'); None: English


class LinkOut(BaseModel):
    order_id: str
    revoked: int = 0  # live links revoked by this call
    url: str | None = None  # a newly issued link (shown once, never stored)
    mailed: bool = False  # the new link was e-mailed to the customer


def _public(shipment: Shipment, lines: list) -> PublicShipment:
    totals: dict[tuple[str, str], Decimal] = {}
    for li in lines:
        totals[(li.sku, li.unit)] = totals.get((li.sku, li.unit), Decimal(0)) + li.quantity
    return PublicShipment(
        carrier=shipment.carrier, tracking_no=shipment.tracking_no,
        tracking_url=tracking_url(shipment.carrier, shipment.tracking_no), status=shipment.status,
        shipped_at=shipment.shipped_at, delivered_at=shipment.delivered_at,
        items=[{"sku": sku, "quantity": format(q.normalize(), "f"), "unit": unit} for (sku, unit), q in totals.items()],
    )


def routes(rt: Runtime) -> APIRouter:
    from shipping.notifier import wakeup  # here: the sender itself needs link_url from this module

    router = APIRouter(tags=["status links"])

    @router.post("/status-links/resolve", response_model=Resolved, responses={404: {}})
    async def resolve_link(body: ResolveRequest) -> Resolved:
        """The order a live token opens, with its parcels as the customer may see them. 404
        alike for unknown, revoked and malformed tokens."""
        async with rt.uow.sessions() as session:
            order_id = await resolve(session, body.token)
            if order_id is None:
                raise HTTPException(404, "not found")
            order = await repo.order_record(session, order_id)
            left = [s for s in await repo.shipments_of(session, order_id) if s.status in ("shipped", "delivered")]
            lines = await repo.lines_of(session, [s.shipment_id for s in left])
        return Resolved(order_id=order_id, order_no=order.order_no if order else None,
                        shipments=[_public(s, lines[s.shipment_id]) for s in left],
                        language=order.language if order else None)

    @router.post("/orders/{order_id}/status-link/revoke", response_model=LinkOut, responses={404: {}})
    async def revoke_link(order_id: str = Path(max_length=100, pattern=ORDER_ID_SHAPE)) -> LinkOut:
        """The order's private status link stops working at once (the page answers 404), and
        no mail that has not left yet carries it."""
        async with rt.uow.start(name="revoke status link") as ctx:
            if not await links_of(ctx.session, order_id):
                raise HTTPException(404, f"order {order_id} has no status link")
            order = await repo.lock_order(ctx.session, order_id)  # one link change of an order at a time
            revoked = await revoke(ctx.session, order_id)
            await withdraw_from_unsent(ctx.session, order_id, repo.recipient(order))
        return LinkOut(order_id=order_id, revoked=revoked)

    @router.post("/orders/{order_id}/status-link", response_model=LinkOut, responses={404: {}, 409: {}})
    async def issue_link(order_id: str = Path(max_length=100, pattern=ORDER_ID_SHAPE)) -> LinkOut:
        """A new private link (the live one, if any, revoked), e-mailed to the customer and
        answered once so the operator can pass it on."""
        async with rt.uow.start(name="issue status link") as ctx:
            known = await repo.order_record(ctx.session, order_id)
            if known is None or not known.recipient_email:  # (no row made for an unknown order)
                raise HTTPException(404, f"order {order_id} is not known here yet")
            order = await repo.lock_order(ctx.session, order_id)
            token, revoked = await issue(ctx.session, order_id)
            await relink_unsent(ctx.session, order_id, token)
            subject, body = status_link_mail(repo.recipient(order))
            link_id = (await ctx.session.execute(
                select(StatusLink.link_id).where(StatusLink.token_hash == token_hash(token)))).scalar_one()
            await ctx.session.execute(insert(Notification).values(
                notification_id=uuid.uuid4(), order_id=order_id, shipment_id=None, kind="status_link",
                dedup_key=str(link_id), to_addr=order.recipient_email, subject=subject, body=body, status="pending",
                attempts=0, next_attempt_at=func.now(), created_at=func.now(), secret=token))
        wakeup(rt).set()
        return LinkOut(order_id=order_id, revoked=revoked, url=link_url(rt.settings.public_base_url, token), mailed=True)

    return router
