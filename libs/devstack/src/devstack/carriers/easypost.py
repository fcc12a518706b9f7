"""A stand-in for EasyPost's REST API (v2) and its tracker webhooks.

Implements what docs.easypost.com documents for the calls shipping makes, nothing else (404):
`POST /v2/shipments` (to/from address and parcel in, the Shipment with its rates out),
`GET /v2/shipments/:id` (the id or the shipment's `reference`), `POST /v2/shipments/:id/buy`
(`{"rate": {"id"}}` in; tracking_code, selected_rate, postage_label and tracker out; a second
buy of one shipment is refused, so a label is never paid twice), and the label files it links
to. Every call needs HTTP basic auth with the API key as user name (401 otherwise).

Webhooks: `tracker_event()` builds an Event ("tracker.updated", the Tracker as `result`),
`signed()` gives the body and its `X-Hmac-Signature` (HMAC-SHA256 hex of the body keyed with
the webhook secret, prefixed "hmac-sha256-hex="), `send_tracker_update()` POSTs it to the
configured webhook URL; with `auto_deliver_after` set, each bought label's tracker reports
in_transit then delivered on its own (for `make run`).

Not reproduced: address verification, rate calculation (fixed USPS/UPS rates per parcel),
customs, insurance, batches, refunds, the v2 timestamped signature, rate limits."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import re
import threading
import unicodedata
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

from devstack.shops.server import Answer, Call, StandIn

UNAUTHORIZED = {"error": {"code": "APIKEY.REQUIRED", "message": "API key required", "errors": []}}
NOT_FOUND = {"error": {"code": "NOT_FOUND", "message": "The requested resource could not be found.", "errors": []}}
# The rates this stand-in offers for any parcel: a carrier's name and service as EasyPost
# names them (its docs' examples), and a price.
RATES = (("USPS", "Priority", "10.07", 2), ("USPS", "Express", "44.55", 1), ("USPS", "ParcelSelect", "9.16", 5),
         ("UPS", "Ground", "12.40", 3))
# A PDF page and a PNG pixel: what the label file URLs serve (a real label is a 4x6 image).
LABEL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
             b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
LABEL_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def signature(body: bytes, secret: str) -> str:
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


class EasyPostStandIn(StandIn):
    def __init__(self, api_key: str = "EZTK_standin", *, webhook_url: str | None = None,
                 webhook_secret: str = "standin-webhook-secret", auto_deliver_after: float | None = None) -> None:
        self.api_key = api_key
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.auto_deliver_after = auto_deliver_after
        self.shipments: dict[str, dict] = {}
        self.purchases: list[str] = []  # shipment ids, one entry per label paid for
        self.webhook_answers: list[int] = []
        # What the next buys do, one entry each, for tests of retries: "fail" answers 500 and
        # buys nothing; "lost" buys and then answers 504, as if the answer never came back.
        self.buy_outcomes: list[str] = []
        self._tracking = itertools.count(9400100000000000000000)
        super().__init__()

    # -- the documented endpoints -------------------------------------------------------------
    def routes(self) -> None:
        self.route("POST", r"/v2/shipments", self._authed(self._create))
        self.route("GET", r"/v2/shipments/(?P<id>[^/]+)", self._authed(self._retrieve))
        self.route("POST", r"/v2/shipments/(?P<id>[^/]+)/buy", self._authed(self._buy))
        self.route("GET", r"/files/postage_label/(?P<name>[0-9a-f]+)\.(?P<ext>png|pdf)", self._label_file)

    def _authed(self, handler):
        def guarded(call: Call, m: re.Match) -> Answer:
            auth = call.header("Authorization") or ""
            try:
                user = base64.b64decode(auth.removeprefix("Basic ")).decode().split(":", 1)[0] if auth.startswith("Basic ") else None
            except ValueError:
                user = None
            if user != self.api_key:
                return Answer(401, UNAUTHORIZED)
            return handler(call, m)
        return guarded

    def _invalid(self, message: str, field: str | None = None) -> Answer:
        errors = [{"field": field, "message": message}] if field else []
        return Answer(422, {"error": {"code": "PARAMETER.INVALID", "message": message, "errors": errors}})

    def _address(self, given: dict) -> dict:
        keys = ("name", "company", "street1", "street2", "city", "state", "zip", "country", "phone", "email")
        return {"id": _id("adr"), "object": "Address", "created_at": _now(), "updated_at": _now(),
                **{k: given.get(k) for k in keys}, "mode": "test", "carrier_facility": None, "residential": None,
                "federal_tax_id": None, "state_tax_id": None, "verifications": {}}

    def _create(self, call: Call, m: re.Match) -> Answer:
        body = call.json if call.body else None
        shipment = body.get("shipment") if isinstance(body, dict) else None
        if not isinstance(shipment, dict):
            return self._invalid("shipment is required", "shipment")
        for side in ("to_address", "from_address"):
            a = shipment.get(side)
            if not isinstance(a, dict) or not a.get("street1") or not a.get("city") or not a.get("country"):
                return self._invalid(f"{side} needs street1, city and country", side)
        parcel = shipment.get("parcel")
        if not isinstance(parcel, dict) or not isinstance(parcel.get("weight"), (int, float)) or parcel["weight"] <= 0:
            return self._invalid("parcel.weight (ounces) is required", "parcel.weight")
        sid, now = _id("shp"), _now()
        to, frm = self._address(shipment["to_address"]), self._address(shipment["from_address"])
        rates = [{"id": _id("rate"), "object": "Rate", "created_at": now, "updated_at": now, "mode": "test",
                  "service": service, "carrier": carrier, "rate": price, "currency": "USD", "retail_rate": price,
                  "retail_currency": "USD", "list_rate": price, "list_currency": "USD", "billing_type": "easypost",
                  "delivery_days": days, "delivery_date": None, "delivery_date_guaranteed": False,
                  "est_delivery_days": days, "shipment_id": sid, "carrier_account_id": "ca_standin"}
                 for carrier, service, price, days in RATES]
        record = {
            "id": sid, "object": "Shipment", "mode": "test", "reference": shipment.get("reference"),
            "created_at": now, "updated_at": now, "is_return": False, "messages": [], "status": "unknown",
            "options": {"currency": "USD", "payment": {"type": "SENDER"}, "date_advance": 0,
                        **(shipment.get("options") or {})},
            "tracking_code": None, "batch_id": None, "batch_status": None, "batch_message": None,
            "customs_info": None, "from_address": frm, "to_address": to, "return_address": frm, "buyer_address": to,
            "insurance": None, "order_id": None,
            "parcel": {"id": _id("prcl"), "object": "Parcel", "created_at": now, "updated_at": now,
                       "length": parcel.get("length"), "width": parcel.get("width"), "height": parcel.get("height"),
                       "predefined_package": parcel.get("predefined_package"), "weight": parcel["weight"],
                       "mode": "test"},
            "postage_label": None, "rates": rates, "refund_status": None, "scan_form": None, "selected_rate": None,
            "tracker": None, "forms": [], "fees": [], "usps_zone": 4,
        }
        with self.lock:
            self.shipments[sid] = record
        return Answer(201, copy.deepcopy(record))

    def _find(self, key: str) -> dict | None:
        with self.lock:
            if key in self.shipments:
                return self.shipments[key]
            return next((s for s in self.shipments.values() if s.get("reference") == key), None)

    def _retrieve(self, call: Call, m: re.Match) -> Answer:
        shipment = self._find(m["id"])
        return Answer(200, copy.deepcopy(shipment)) if shipment else Answer(404, NOT_FOUND)

    def _buy(self, call: Call, m: re.Match) -> Answer:
        with self.lock:
            outcome = self.buy_outcomes.pop(0) if self.buy_outcomes else "ok"
            if outcome == "fail":
                return Answer(500, {"error": {"code": "INTERNAL_SERVER_ERROR", "message": "forced failure",
                                              "errors": []}})
            shipment = self._find(m["id"])
            if shipment is None:
                return Answer(404, NOT_FOUND)
            if shipment["postage_label"] is not None:
                return Answer(422, {"error": {"code": "SHIPMENT.POSTAGE.EXISTS",
                                              "message": "This shipment already has postage.", "errors": []}})
            body = call.json if call.body else None
            rate_id = ((body or {}).get("rate") or {}).get("id") if isinstance(body, dict) else None
            rate = next((r for r in shipment["rates"] if r["id"] == rate_id), None)
            if rate is None:
                return self._invalid("rate.id must be one of the shipment's rates", "rate")
            now, name = _now(), uuid.uuid4().hex
            tracking = str(next(self._tracking))
            pdf = str(shipment["options"].get("label_format", "")).upper() == "PDF"
            shipment.update(
                tracking_code=tracking, updated_at=now, selected_rate=copy.deepcopy(rate),
                postage_label={
                    "object": "PostageLabel", "id": _id("pl"), "created_at": now, "updated_at": now, "date_advance": 0,
                    "integrated_form": "none", "label_date": now, "label_resolution": 300, "label_size": "4x6",
                    "label_type": "default", "label_file_type": "image/png",
                    "label_url": f"{self.url}/files/postage_label/{name}.png",
                    "label_pdf_url": f"{self.url}/files/postage_label/{name}.pdf" if pdf else None,
                    "label_zpl_url": None, "label_epl2_url": None, "label_file": None},
                tracker=self._tracker(shipment, tracking, rate["carrier"], "unknown"),
                fees=[{"object": "Fee", "type": "LabelFee", "amount": "0.00000", "charged": True, "refunded": False},
                      {"object": "Fee", "type": "PostageFee", "amount": f"{float(rate['rate']):.5f}", "charged": True,
                       "refunded": False}],
            )
            self.purchases.append(shipment["id"])
            answer = copy.deepcopy(shipment)
        if self.auto_deliver_after is not None and self.webhook_url:
            self._autopilot(tracking)
        if outcome == "lost":
            return Answer(504, {"error": {"code": "TIMEOUT", "message": "forced: answer lost", "errors": []}})
        return Answer(200, answer)

    def _tracker(self, shipment: dict, tracking: str, carrier: str, status: str) -> dict:
        now = _now()
        return {"id": _id("trk"), "object": "Tracker", "mode": "test", "tracking_code": tracking, "status": status,
                "status_detail": "unknown", "created_at": now, "updated_at": now, "signed_by": None, "weight": None,
                "est_delivery_date": None, "shipment_id": shipment["id"], "carrier": carrier, "tracking_details": [],
                "fees": [], "carrier_detail": None,
                "public_url": f"https://track.easypost.com/{base64.urlsafe_b64encode(tracking.encode()).decode()}"}

    def _label_file(self, call: Call, m: re.Match) -> Answer:
        if m["ext"] == "pdf":
            return Answer(200, LABEL_PDF, {"Content-Type": "application/pdf"})
        return Answer(200, LABEL_PNG, {"Content-Type": "image/png"})

    # -- webhooks -----------------------------------------------------------------------------
    def tracker_of(self, tracking_code: str) -> dict:
        with self.lock:
            for s in self.shipments.values():
                if s.get("tracking_code") == tracking_code:
                    return s["tracker"]
        raise KeyError(f"no label with tracking code {tracking_code}")

    def tracker_event(self, tracking_code: str, status: str, *, event_id: str | None = None,
                      tracker: dict | None = None) -> dict:
        """A "tracker.updated" Event as EasyPost POSTs it; the tracker's status moves to `status`
        (a delivered one gets its delivery scan in tracking_details)."""
        with self.lock:
            t = tracker if tracker is not None else self.tracker_of(tracking_code)
            previous = t["status"]
            now = _now()
            t.update(status=status, status_detail="arrived_at_destination" if status == "delivered" else "status_update",
                     updated_at=now)
            t["tracking_details"] = t["tracking_details"] + [{
                "object": "TrackingDetail", "message": status.replace("_", " ").capitalize(), "description": None,
                "status": status, "status_detail": t["status_detail"], "datetime": now, "source": t["carrier"],
                "carrier_code": None, "tracking_location": {"object": "TrackingLocation", "city": None,
                                                            "state": None, "country": None, "zip": None}}]
            result = copy.deepcopy(t)
        return {"id": event_id or _id("evt"), "object": "Event", "mode": "test", "description": "tracker.updated",
                "previous_attributes": {"status": previous}, "result": result, "status": "pending",
                "pending_urls": [self.webhook_url] if self.webhook_url else [], "completed_urls": [],
                "created_at": now, "updated_at": now, "user_id": "user_standin"}

    def signed(self, event: dict, secret: str | None = None) -> tuple[dict[str, str], bytes]:
        body = json.dumps(event).encode()
        return {"Content-Type": "application/json",
                "X-Hmac-Signature": signature(body, secret if secret is not None else self.webhook_secret)}, body

    def send(self, event: dict, url: str | None = None) -> int:
        """POST the event to the webhook URL, signed; the status code answered (kept too)."""
        headers, body = self.signed(event)
        request = urllib.request.Request(url or self.webhook_url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        self.webhook_answers.append(status)
        return status

    def send_tracker_update(self, tracking_code: str, status: str) -> int:
        return self.send(self.tracker_event(tracking_code, status))

    def _autopilot(self, tracking_code: str) -> None:
        """For demos: in transit at once, delivered after `auto_deliver_after` seconds."""
        def later(status: str, delay: float) -> None:
            timer = threading.Timer(delay, lambda: self.send_tracker_update(tracking_code, status))
            timer.daemon = True
            timer.start()
        later("in_transit", 1.0)
        later("delivered", max(1.5, float(self.auto_deliver_after)))


def shipping_env(stand_in: EasyPostStandIn) -> dict[str, str]:
    """What points the shipping service at this stand-in (its settings, env prefix SHIPPING_)."""
    return {"SHIPPING_EASYPOST_API_URL": f"{stand_in.url}/v2", "SHIPPING_EASYPOST_API_KEY": stand_in.api_key,
            "SHIPPING_EASYPOST_WEBHOOK_SECRET": stand_in.webhook_secret}
