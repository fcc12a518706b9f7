"""The customer's status page: "where is my order?" without a login.

`GET /track/{token}` (a small HTML page) and `GET /api/track/{token}` (the same as JSON) take
the private token from the order confirmation, need no API key, and show only what the
customer may see: the order number, the status in customer words (received, materials
reserved, in production, ready to ship, shipped with tracking, delivered), the promised and
expected dates, the lines, and the parcels (carrier, tracking, dates, what is in each), in the
language the order's e-mails are written in (`gateway.track_words`: a French shop's customer
reads French).
Shipping resolves the token (and says which parcels left); orders gives status and dates.
Every field is copied by name into a new answer (a whitelist), never passed through: no
ids, lots, costs, addresses or timeline. A wrong, revoked or malformed token is the same 404,
and a service that fails is a 503 that names nothing internal.

The operators' side (`POST /api/orders/{id}/status-link/revoke`, `POST /api/orders/{id}/
status-link` for a new link) is under the API key like the rest of /api."""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Security
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from gateway.auth import require_key
from gateway.downstream import Downstream, downstream
from gateway.schemas import OrderId
from gateway.track_words import ENGLISH, Words, words_for

public = APIRouter(tags=["customer status page"])
router = APIRouter(prefix="/api", tags=["customer status page"], dependencies=[Security(require_key)])

NOT_FOUND = "not found"
UNAVAILABLE = "the order status cannot be shown right now; please try again later"
# The page is private: not cached, not indexed, and no Referer (it holds the token) sent to
# the carriers' tracking sites it links to.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}

# The steps a customer follows, in order (their labels per language: gateway.track_words), with
# the orders service's statuses that reach each.
STEPS = ("received", "materials_reserved", "in_production", "ready_to_ship", "shipped", "delivered")
_STEP_OF = {
    "received": "received", "awaiting_materials": "received", "materials_reserved": "materials_reserved",
    "in_production": "in_production", "allocated": "ready_to_ship", "ready_to_ship": "ready_to_ship",
    "partially_shipped": "shipped", "shipped": "shipped", "delivered": "delivered",
}
_PRODUCTION_STEPS = {"materials_reserved", "in_production"}


class TrackShipment(BaseModel):
    carrier: str | None = None
    tracking_no: str | None = None
    tracking_url: str | None = None
    status: str | None = None
    shipped_on: date | None = None
    delivered_on: date | None = None
    items: list[dict[str, str]] = []


class TrackStep(BaseModel):
    key: str
    label: str
    done: bool
    current: bool


class TrackView(BaseModel):
    """Everything the customer's page shows; nothing else is ever answered."""

    language: str = "en"  # of the words below: the language the order's e-mails are written in
    order_no: str | None = None
    status: str
    status_text: str
    steps: list[TrackStep]
    placed_on: date | None = None
    promised_date: date | None = None
    expected_date: date | None = None
    lines: list[dict[str, str]] = []
    shipments: list[TrackShipment] = []


def _qty(value: Any) -> str:
    try:
        return format(Decimal(str(value)).normalize(), "f")
    except (InvalidOperation, ValueError):
        return ""


def _day(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _steps(status: str, seen: set[str], words: Words) -> list[TrackStep]:
    """Production steps show when the order went through them or may still do; an order
    served from stock never did, and its page does not pretend it did."""
    reached = _STEP_OF.get(status)
    at = STEPS.index(reached) if reached else -1
    shown = []
    for i, key in enumerate(STEPS):
        if key in _PRODUCTION_STEPS and at >= STEPS.index("ready_to_ship") and key not in seen:
            continue
        shown.append(TrackStep(key=key, label=words.steps[key], done=i <= at, current=i == at))
    return shown


def compose_view(order: dict[str, Any], parcels: list[dict[str, Any]], order_no: str | None,
                 language: str | None = None) -> TrackView:
    """The customer's view from orders' order and shipping's parcels, field by field, in the
    language of the order's e-mails (`language`: the shop's tag, as shipping keeps it)."""
    words = words_for(language)
    status = str(order.get("status") or "received")
    seen = {str(e.get("status")) for e in order.get("timeline") or [] if isinstance(e, dict)}
    return TrackView(
        language=words.lang,
        order_no=order.get("order_no") or order_no,
        status=status,
        status_text=words.status.get(status, words.status["received"]),
        steps=[] if status == "cancelled" else _steps(status, seen, words),
        placed_on=_day(order.get("placed_at")),
        promised_date=_day(order.get("promised_date")),
        expected_date=_day(order.get("expected_date")),
        lines=[{"sku": str(li.get("sku", "")), "quantity": _qty(li.get("quantity")), "unit": str(li.get("unit", ""))}
               for li in order.get("lines") or [] if isinstance(li, dict)],
        shipments=[
            TrackShipment(
                carrier=p.get("carrier"), tracking_no=p.get("tracking_no"), tracking_url=p.get("tracking_url"),
                status=p.get("status"), shipped_on=_day(p.get("shipped_at")), delivered_on=_day(p.get("delivered_at")),
                items=[{"sku": str(i.get("sku", "")), "quantity": _qty(i.get("quantity")), "unit": str(i.get("unit", ""))}
                       for i in p.get("items") or [] if isinstance(i, dict)],
            )
            for p in parcels if isinstance(p, dict)
        ],
    )


async def track_view(ds: Downstream, token: str) -> TrackView:
    """Resolve the token (shipping), then the order (orders). Raises 404 or 503 with the
    public wording only: a downstream message may name hosts or ids."""
    if not (16 <= len(token) <= 100):
        raise HTTPException(404, NOT_FOUND)
    try:
        found = await ds.call("shipping", "POST", "/status-links/resolve", json={"token": token})
        if 400 <= found.status_code < 500:
            raise HTTPException(404, NOT_FOUND)
        if found.status_code >= 300:
            raise HTTPException(503, UNAVAILABLE)
        resolved = found.json()
        order = await ds.call("orders", "GET", f"/orders/{resolved['order_id']}")
        if order.status_code != 200:
            # Shipping knows the order before orders answers for it only in a broken system.
            raise HTTPException(503, UNAVAILABLE)
        language = resolved.get("language")
        return compose_view(order.json(), resolved.get("shipments") or [], resolved.get("order_no"),
                            language if isinstance(language, str) else None)
    except HTTPException as exc:
        if exc.detail in (NOT_FOUND, UNAVAILABLE):
            raise
        raise HTTPException(503, UNAVAILABLE) from None
    except (ValueError, KeyError, TypeError):
        raise HTTPException(503, UNAVAILABLE) from None


async def _answer(ds: Downstream, token: str) -> TrackView | Response:
    try:
        return await track_view(ds, token)
    except HTTPException as exc:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=PRIVATE)


@public.get("/api/track/{token}", summary="An order's status for its customer (private link, no API key)",
            response_model=TrackView, responses={404: {"description": "unknown, revoked or malformed token"}})
async def track_json(token: str, ds: Downstream = Depends(downstream)) -> Response:
    view = await _answer(ds, token)
    if isinstance(view, Response):
        return view
    return JSONResponse(view.model_dump(mode="json"), headers=PRIVATE)


@public.get("/track/{token}", include_in_schema=False)
async def track_page(token: str, ds: Downstream = Depends(downstream)) -> HTMLResponse:
    view = await _answer(ds, token)
    if isinstance(view, Response):
        message = "This link does not open an order." if view.status_code == 404 else UNAVAILABLE.capitalize() + "."
        return HTMLResponse(_page("Order status", f"<p>{html.escape(message)}</p>", ENGLISH),
                            status_code=view.status_code, headers=PRIVATE)
    words = words_for(view.language)
    title = words.labels["title"].format(order_no=view.order_no or "").strip()
    return HTMLResponse(_page(title, _render(view, words), words), headers=PRIVATE)


def _step(s: TrackStep) -> str:
    if s.current:
        return f'<li class="done current" aria-current="step">{html.escape(s.label)}</li>'
    return f'<li class="{"done" if s.done else "todo"}">{html.escape(s.label)}</li>'


def _render(v: TrackView, w: Words) -> str:
    e, label = html.escape, w.labels
    parts = [f'<p class="status" id="status" data-status="{e(v.status)}">{e(v.status_text)}</p>']
    if v.steps:
        parts.append('<ol class="steps">' + "".join(_step(s) for s in v.steps) + "</ol>")
    dates = []
    if v.placed_on:
        dates.append(f"<dt>{e(label['ordered'])}</dt><dd>{e(w.day(v.placed_on))}</dd>")
    if v.promised_date:
        dates.append(f"<dt>{e(label['promised'])}</dt><dd>{e(w.day(v.promised_date))}</dd>")
    if v.expected_date and v.status not in ("shipped", "delivered", "cancelled"):
        dates.append(f"<dt>{e(label['expected'])}</dt><dd>{e(w.day(v.expected_date))}</dd>")
    if dates:
        parts.append("<dl>" + "".join(dates) + "</dl>")
    if v.lines:
        parts.append(f"<h2>{e(label['lines'])}</h2><ul>" + "".join(
            f"<li>{e(li['quantity'])} {e(li['unit'])} {e(li['sku'])}</li>" for li in v.lines) + "</ul>")
    for n, s in enumerate(v.shipments, 1):
        track = e(s.tracking_no or "")
        if s.tracking_url:
            track = f'<a href="{e(s.tracking_url)}" rel="noreferrer noopener">{track}</a>'
        when = label["shipped_on"].format(date=w.day(s.shipped_on)) + (
            label["delivered_on"].format(date=w.day(s.delivered_on)) if s.delivered_on else "")
        items = "".join(f"<li>{e(i['quantity'])} {e(i['unit'])} {e(i['sku'])}</li>" for i in s.items)
        parts.append(f'<section class="parcel"><h2>{e(label["parcel"].format(n=n))}</h2>'
                     f'<p>{e(s.carrier or "")} {track}: {e(when)}</p>'
                     f"<ul>{items}</ul></section>")
    return "\n".join(parts)


def _page(title: str, content: str, words: Words) -> str:
    return (
        f'<!doctype html><html lang="{words.lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow"><meta name="referrer" content="no-referrer">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:38rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.5;color:#1b1b1b}.steps{padding-left:1.2rem}.steps .done{color:#1f6f3f}"
        ".steps .todo{color:#666}.steps .current{font-weight:bold}dt{font-weight:bold}dd{margin:0 0 .5rem}"
        ".parcel{border-top:1px solid #ccc;margin-top:1rem}</style></head><body>"
        f"<main><h1>{html.escape(title)}</h1>\n{content}\n</main></body></html>"
    )


# -- operators: revoke the link, or issue a new one --------------------------------------------
@router.post("/orders/{order_id}/status-link/revoke", summary="Revoke the customer's private status link",
             description="The link from the confirmation stops working at once (its page answers 404). "
             "404 when the order has no link.")
async def revoke_link(order_id: OrderId, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "POST", f"/orders/{order_id}/status-link/revoke")


@router.post("/orders/{order_id}/status-link", summary="Issue a new private status link",
             description="The live link is revoked, a new one is e-mailed to the customer and answered once "
             "(`url`) so it can be passed on; it is never stored, only its hash.")
async def issue_link(order_id: OrderId, ds: Downstream = Depends(downstream)) -> Response:
    return await ds.relay("shipping", "POST", f"/orders/{order_id}/status-link")

