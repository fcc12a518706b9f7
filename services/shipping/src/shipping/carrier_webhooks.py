"""EasyPost's tracking webhooks: `POST /webhooks/easypost`.

EasyPost POSTs an Event (`description` "tracker.updated", `result` the Tracker) at least once
per change, signed in `X-Hmac-Signature`. A missing or wrong signature is refused with 401 and
nothing is written. A signed event is recorded once by its id (a redelivery is answered 200
and changes nothing); a tracker of ours (found by its id, its EasyPost shipment or its
tracking code) keeps its latest status, and `delivered` marks the shipment delivered through
`delivery.mark_delivered` (Delivered once, the customer's delivery e-mail once). Trackers we
do not know, and other event types, are answered 200 and logged: EasyPost retries anything
else and disables endpoints that keep failing."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert

from eventkit import Runtime
from shipping.carrier_records import CarrierEvent, CarrierLabel
from shipping.carriers import easypost
from shipping.delivery import NotDeliverable, UnknownShipment, mark_delivered
from shipping.notifier import wakeup

log = logging.getLogger("shipping.carrier_webhooks")


def _delivered_at(tracker: dict) -> datetime | None:
    """The carrier's scan time of the delivery, when it says one."""
    for detail in reversed(tracker.get("tracking_details") or []):
        if isinstance(detail, dict) and detail.get("status") == "delivered" and detail.get("datetime"):
            try:
                return datetime.fromisoformat(str(detail["datetime"]).replace("Z", "+00:00"))
            except ValueError:
                return None
    return None


async def handle_event(rt: Runtime, event: dict) -> str:
    """What became of one verified event (also what is recorded as its outcome)."""
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise HTTPException(400, "an EasyPost event has an id")
    description = str(event.get("description") or "")
    tracker = event.get("result") if isinstance(event.get("result"), dict) else {}
    delivered = False
    async with rt.uow.start(name="easypost event") as ctx:
        first = await ctx.session.execute(
            insert(CarrierEvent).values(provider=easypost.PROVIDER, event_id=event_id, description=description,
                                        outcome="received")
            .on_conflict_do_nothing(index_elements=["provider", "event_id"]).returning(CarrierEvent.event_id))
        if first.first() is None:
            return "duplicate"
        outcome = await _apply(ctx, description, tracker)
        delivered = outcome == "delivered"
        await ctx.session.execute(update(CarrierEvent).where(
            CarrierEvent.provider == easypost.PROVIDER, CarrierEvent.event_id == event_id).values(outcome=outcome))
    if delivered:
        wakeup(rt).set()  # the delivery e-mail leaves at once
    log.info("EasyPost event %s (%s): %s", event_id, description, outcome)
    return outcome


async def _apply(ctx, description: str, tracker: dict) -> str:
    if not description.startswith("tracker.") or tracker.get("object") != "Tracker":
        return "ignored: not a tracker event"
    keys = [CarrierLabel.tracker_id == tracker["id"]] if tracker.get("id") else []
    if tracker.get("shipment_id"):
        keys.append(CarrierLabel.provider_shipment_id == tracker["shipment_id"])
    if tracker.get("tracking_code"):
        keys.append(CarrierLabel.tracking_no == tracker["tracking_code"])
    label = (await ctx.session.execute(
        select(CarrierLabel).where(CarrierLabel.provider == easypost.PROVIDER, or_(*keys)).limit(1))
    ).scalars().first() if keys else None
    if label is None:
        log.warning("EasyPost tracker %s (%s) is not one of our labels; ignored",
                    tracker.get("id"), tracker.get("tracking_code"))
        return "ignored: unknown tracker"
    status = str(tracker.get("status") or "unknown")
    await ctx.session.execute(update(CarrierLabel).where(CarrierLabel.shipment_id == label.shipment_id)
                              .values(tracking_status=status))
    if status != "delivered":
        return f"status {status}"
    try:
        await mark_delivered(ctx, label.shipment_id, _delivered_at(tracker), source="easypost")
    except UnknownShipment:
        return "ignored: shipment gone"
    except NotDeliverable as refused:
        # Already delivered (another event said so, or the operator): nothing more to do. Not
        # shipped yet: the parcel cannot have arrived in our books; logged for the operator.
        if not refused.already_delivered:
            log.warning("EasyPost says shipment %s was delivered, but %s", label.shipment_id, refused.reason)
        return "already delivered" if refused.already_delivered else f"ignored: {refused.reason}"
    return "delivered"


def routes(rt: Runtime) -> APIRouter:
    router = APIRouter(tags=["carrier webhooks"])

    @router.post("/webhooks/easypost", responses={401: {}, 503: {}},
                 summary="EasyPost webhook (tracker events), signed with X-Hmac-Signature")
    async def easypost_webhook(request: Request) -> dict:
        secret = rt.settings.easypost_webhook_secret
        if secret is None or not secret.get_secret_value():
            raise HTTPException(503, "EasyPost webhooks are not configured (SHIPPING_EASYPOST_WEBHOOK_SECRET)")
        body = await request.body()
        if not easypost.signature_valid(body, request.headers.get(easypost.SIGNATURE_HEADER), secret.get_secret_value()):
            raise HTTPException(401, "missing or wrong X-Hmac-Signature")
        try:
            event = json.loads(body)
        except ValueError:
            raise HTTPException(400, "the body is not JSON") from None
        if not isinstance(event, dict):
            raise HTTPException(400, "an EasyPost event is a JSON object")
        return {"outcome": await handle_event(rt, event)}

    return router
