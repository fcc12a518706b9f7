"""Labels for shipments: the papers we print ourselves (documents.py) and labels bought from
EasyPost, plus the structured ship-to a carrier needs.

Buying is idempotent across retries and concurrent clicks, so a label is paid once:
1. the shipment must be able to leave (prepared, not blocked by a held lot) - else 409;
2. a label already bought is answered as it is;
3. otherwise the EasyPost shipment is created (reference = our shipment id) and its id is
   committed *before* anything is bought; a concurrent or later attempt finds that id and
   uses the same EasyPost shipment (a second EasyPost shipment created meanwhile is never
   bought, and costs nothing);
4. before buying, that EasyPost shipment is looked up: bought already (our answer was lost)
   means adopt it; after a failed or unanswered buy it is looked up again, for the same reason.
EasyPost itself refuses to buy one shipment twice, which closes the last race.

Buying does not ship: the operator confirms with `POST /shipments/{id}/ship` giving the
label's carrier and tracking number (the answer carries them under `ship_with`), so the ship
command stays the one place where holds are checked and Shipped is emitted."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from contracts.events import OrderPlaced
from eventkit import Runtime
from shipping import repository as repo
from shipping.carrier_records import CarrierLabel, ShipToAddress
from shipping.carriers import easypost
from shipping.documents import PaperLine, ParcelPapers
from shipping.domain.parcel import WeightRules, ounces, parcel_weight_g, shown_weight
from shipping.domain.postal import PostalAddress, split_address_line
from shipping.domain.shipment import Status, ship_refusal
from shipping.recalls import holds_of
from shipping.settings import Settings
from shipping.tables import OrderRecord, Shipment, ShipmentLine

log = logging.getLogger("shipping.labels")


class UnknownShipment(LookupError):
    pass


class LabelRefused(Exception):
    """`status`: the HTTP status that says why (409 cannot leave, 422 no address or no rate,
    502 EasyPost failed, 503 no EasyPost key)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Parcel:
    shipment: Shipment
    order: OrderRecord | None
    lines: list[ShipmentLine]
    ship_to: PostalAddress | None
    label: CarrierLabel | None


# -- the ship-to, as fields ---------------------------------------------------------------------
def ship_to_fields(event: OrderPlaced) -> dict[str, str | None] | None:
    """OrderPlaced: the shop's ship-to as fields (a carrier needs them apart), kept with the
    order's row (`order_rows.keep_recipient`). Orders without one (typed at the gateway) keep
    nothing here (None); their one-line address is split when needed."""
    to = event.details.ship_to if event.details and event.details.ship_to else None
    if to is None or not (to.address1 or to.city):
        return None
    return dict(name=to.name or event.customer.name, company=to.company, street1=to.address1, street2=to.address2,
                city=to.city, zip=to.zip, state=to.province, country=to.country or event.customer.country,
                phone=to.phone or event.customer.phone)


def _ship_to(order: OrderRecord | None, kept: ShipToAddress | None) -> PostalAddress | None:
    if kept is not None and kept.street1 and kept.city:
        return PostalAddress(name=kept.name, company=kept.company, street1=kept.street1, street2=kept.street2,
                             city=kept.city, zip=kept.zip, state=kept.state, country=kept.country, phone=kept.phone)
    if order is None:
        return None
    return split_address_line(order.recipient_address, name=order.recipient_name, country=order.recipient_country,
                              phone=order.recipient_phone)


async def parcel_of(session, shipment_id: uuid.UUID) -> Parcel:
    shipment = await repo.shipment_by_id(session, shipment_id)
    if shipment is None:
        raise UnknownShipment(f"shipment {shipment_id} not found")
    order = await repo.order_record(session, shipment.order_id)
    lines = (await repo.lines_of(session, [shipment_id]))[shipment_id]
    kept = await session.get(ShipToAddress, shipment.order_id)
    label = await session.get(CarrierLabel, shipment_id)
    return Parcel(shipment, order, lines, _ship_to(order, kept), label)


# -- the papers -----------------------------------------------------------------------------------
def weight_rules(settings: Settings) -> WeightRules:
    return WeightRules(piece_weight_g=settings.piece_weight_g, item_weights_g=dict(settings.item_weights_g),
                       liquid_density_g_per_ml=settings.liquid_density_g_per_ml,
                       packaging_weight_g=settings.packaging_weight_g)


def weight_g(p: Parcel, settings: Settings):
    return parcel_weight_g(((li.sku, li.quantity, li.unit) for li in p.lines), weight_rules(settings))


def ship_from(settings: Settings) -> PostalAddress:
    return PostalAddress(name=settings.ship_from_name, company=settings.ship_from_company,
                         street1=settings.ship_from_street1, street2=settings.ship_from_street2,
                         city=settings.ship_from_city, zip=settings.ship_from_zip, state=settings.ship_from_state,
                         country=settings.ship_from_country, phone=settings.ship_from_phone)


def _printed(a: PostalAddress) -> list[str]:
    locality = " ".join(x for x in (a.zip, a.city) if x)
    return [x for x in (a.name, a.company, a.street1, a.street2, locality, a.state, a.country) if x]


def papers(p: Parcel, settings: Settings, today: date | None = None) -> ParcelPapers:
    order_no = (p.order.order_no if p.order else None) or p.shipment.order_id
    if p.ship_to is not None:
        to = _printed(p.ship_to)
    else:  # an address we could not split still gets printed as the customer wrote it
        o = p.order
        to = [x for x in ([o.recipient_name] if o else []) + ((o.recipient_address or "").split(", ") if o else [])
              + ([o.recipient_country] if o and o.recipient_country else []) if x] or ["(address not known yet)"]
    # The shipment's own tracking (it left) wins; a bought label's before that.
    label = p.label if p.label is not None and p.label.bought_at is not None else None
    carrier = p.shipment.carrier or (label.carrier if label else None)
    tracking = p.shipment.tracking_no or (label.tracking_no if label else None)
    return ParcelPapers(
        order_no=order_no, shipment_no=f"{order_no}/{p.shipment.seq}", shipment_id=str(p.shipment.shipment_id),
        ship_from=_printed(ship_from(settings)), ship_to=to, weight=shown_weight(weight_g(p, settings)),
        lines=[PaperLine(li.line_no, li.sku, li.quantity, li.unit, li.lot_no, li.expiry_date) for li in p.lines],
        carrier=carrier, service=label.service if label and carrier == label.carrier else None,
        tracking_no=tracking, printed_on=today or date.today(),
    )


# -- buying at EasyPost ---------------------------------------------------------------------------
def _address(a: PostalAddress, email: str | None = None, country: str | None = None) -> dict:
    """EasyPost's Address fields; `country` when the address names none (an order typed at
    the gateway without a country ships domestic: the maker's own country)."""
    fields = dict(name=a.name, company=a.company, street1=a.street1, street2=a.street2, city=a.city,
                  state=a.state, zip=a.zip, country=a.country or country, phone=a.phone, email=email)
    return {k: v for k, v in fields.items() if v}


def client(settings: Settings) -> easypost.EasyPost:
    if settings.easypost_api_key is None or not settings.easypost_api_key.get_secret_value():
        raise LabelRefused(503, "no carrier API configured (SHIPPING_EASYPOST_API_KEY)")
    return easypost.EasyPost(settings.easypost_api_url, settings.easypost_api_key.get_secret_value(),
                             timeout=settings.easypost_timeout)


async def buy_label(rt: Runtime, shipment_id: uuid.UUID, carrier: str | None = None,
                    service: str | None = None) -> CarrierLabel:
    settings: Settings = rt.settings
    async with rt.uow.sessions() as session:
        p = await parcel_of(session, shipment_id)
        if p.label is not None and p.label.bought_at is not None:
            return p.label
        await _may_leave(session, p.shipment)
        if p.ship_to is None:
            raise LabelRefused(422, "the ship-to address has no street and city a carrier can use")
        grams = weight_g(p, settings)
        known_id = p.label.provider_shipment_id if p.label else None
    async with client(settings) as api:
        if known_id is None:
            created = await _call(api.create_shipment(
                reference=str(shipment_id), to_address=_address(p.ship_to, p.order.recipient_email if p.order else None,
                                    settings.ship_from_country),
                from_address=_address(ship_from(settings), settings.ship_from_email),
                parcel={"weight": float(ounces(grams))}, options={"label_format": "PDF"}))
            known_id = await _keep_easypost_id(rt, shipment_id, created["id"])
            current = created if known_id == created["id"] else await _call(api.retrieve_shipment(known_id))
        else:
            current = await _call(api.retrieve_shipment(known_id))
        if not current.get("tracking_code"):
            current = await _buy(api, current, carrier, service)
        location = easypost.label_location(current.get("postage_label"))
        try:
            file, content_type = await api.fetch_label(location) if location else (None, None)
        except easypost.EasyPostError as exc:  # bought is bought: keep the URL, fetch later
            log.warning("label of shipment %s bought but its file not fetched: %s", shipment_id, exc)
            file, content_type = None, None
    return await _keep_bought(rt, shipment_id, current, location, file, content_type)


async def _may_leave(session, shipment: Shipment) -> None:
    holds = (await holds_of(session, [shipment.shipment_id]))[shipment.shipment_id]
    refusal = ship_refusal(Status(shipment.status), shipment.carrier, shipment.tracking_no, holds)
    if refusal:
        raise LabelRefused(409, f"no label bought: {refusal}")


async def _call(request):
    try:
        return await request
    except easypost.EasyPostError as exc:
        raise LabelRefused(502, exc.message) from exc


async def _keep_easypost_id(rt: Runtime, shipment_id: uuid.UUID, easypost_id: str) -> str:
    """Commit the EasyPost shipment id before buying; the first one stored wins."""
    async with rt.uow.start(name="label: carrier shipment") as ctx:
        await ctx.session.execute(
            insert(CarrierLabel).values(shipment_id=shipment_id, provider=easypost.PROVIDER,
                                        provider_shipment_id=easypost_id, created_at=func.now())
            .on_conflict_do_nothing(index_elements=["shipment_id"]))
        return (await ctx.session.execute(select(CarrierLabel.provider_shipment_id)
                                          .where(CarrierLabel.shipment_id == shipment_id))).scalar_one()


async def _buy(api: easypost.EasyPost, current: dict, carrier: str | None, service: str | None) -> dict:
    rate = easypost.choose_rate(current.get("rates") or [], set(easypost.CARRIER_NAMES), carrier, service)
    if rate is None:
        offered = sorted({f"{r.get('carrier')} {r.get('service')}" for r in current.get("rates") or []})
        raise LabelRefused(422, "no rate fits" + (f" carrier {carrier!r}" if carrier else "")
                           + (f" service {service!r}" if service else "")
                           + f"; offered: {', '.join(offered) or 'none'}")
    try:
        return await api.buy(current["id"], rate["id"])
    except easypost.EasyPostError as exc:
        # Lost answer or a concurrent buy of the same shipment: it may be bought all the same.
        again = await _call(api.retrieve_shipment(current["id"]))
        if again.get("tracking_code"):
            return again
        raise LabelRefused(502, exc.message) from exc


async def _keep_bought(rt: Runtime, shipment_id: uuid.UUID, bought: dict, location: str | None,
                       file: bytes | None, content_type: str | None) -> CarrierLabel:
    rate = bought.get("selected_rate") or {}
    tracker = bought.get("tracker") or {}
    carrier = easypost.CARRIER_NAMES.get(rate.get("carrier") or tracker.get("carrier") or "")
    async with rt.uow.start(name="label: bought") as ctx:
        await ctx.session.execute(
            update(CarrierLabel)
            .where(CarrierLabel.shipment_id == shipment_id, CarrierLabel.bought_at.is_(None))
            .values(rate_id=rate.get("id"), carrier=carrier or rate.get("carrier"), service=rate.get("service"),
                    rate=easypost.rate_amount(rate) if rate.get("rate") else None, currency=rate.get("currency"),
                    tracking_no=bought.get("tracking_code"), tracker_id=tracker.get("id"),
                    public_url=tracker.get("public_url"), tracking_status=tracker.get("status"),
                    label_url=location, label_file=file, label_content_type=content_type, bought_at=func.now()))
        label = await ctx.session.get(CarrierLabel, shipment_id, populate_existing=True)
    log.info("label bought for shipment %s: %s %s", shipment_id, label.carrier, label.tracking_no)
    return label
