"""EasyPost's REST API (https://docs.easypost.com), the parts shipping uses: create a Shipment
(to/from address and parcel; its rates come back with it), retrieve it, buy it with a rate
(tracking code, tracker and postage label come back), fetch the label file; and the webhook
signature. Requests are JSON with HTTP basic auth (the API key as user name, no password).

No state and no database here: `labels.py` decides what to call when."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

PROVIDER = "easypost"
SIGNATURE_HEADER = "X-Hmac-Signature"
_SIGNATURE_PREFIX = "hmac-sha256-hex="


class EasyPostError(Exception):
    """An answer other than 2xx (or no answer). `status` None: the request may or may not have
    reached EasyPost (timeout, connection lost), so what it did must be looked up."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class EasyPost:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", auth=httpx.BasicAuth(api_key, ""),
                                       timeout=timeout, transport=transport,
                                       headers={"Accept": "application/json"})

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> EasyPost:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _call(self, method: str, path: str, json: dict | None = None) -> dict:
        try:
            resp = await self._http.request(method, path, json=json)
        except httpx.HTTPError as exc:
            raise EasyPostError(f"EasyPost did not answer: {exc!r}") from exc
        if resp.status_code >= 300:
            raise _error(resp)
        try:
            return resp.json()
        except ValueError as exc:
            raise EasyPostError(f"EasyPost answered {resp.status_code} without JSON", resp.status_code) from exc

    async def create_shipment(self, *, reference: str, to_address: dict, from_address: dict, parcel: dict,
                              options: dict | None = None) -> dict:
        """POST /shipments. `reference` (our shipment id) lets EasyPost's own records name it."""
        shipment: dict[str, Any] = {"reference": reference, "to_address": to_address,
                                    "from_address": from_address, "parcel": parcel}
        if options:
            shipment["options"] = options
        return await self._call("POST", "shipments", {"shipment": shipment})

    async def retrieve_shipment(self, easypost_id: str) -> dict:
        return await self._call("GET", f"shipments/{easypost_id}")

    async def buy(self, easypost_id: str, rate_id: str) -> dict:
        """POST /shipments/:id/buy with the chosen rate: this is what is charged."""
        return await self._call("POST", f"shipments/{easypost_id}/buy", {"rate": {"id": rate_id}})

    async def fetch_label(self, url: str) -> tuple[bytes, str]:
        """The label file at postage_label's URL (a file server, no API key sent there)."""
        try:
            async with httpx.AsyncClient(timeout=self._http.timeout) as files:
                resp = await files.get(url)
        except httpx.HTTPError as exc:
            raise EasyPostError(f"label file not fetched: {exc!r}") from exc
        if resp.status_code != 200:
            raise EasyPostError(f"label file not fetched: {resp.status_code}", resp.status_code)
        return resp.content, resp.headers.get("content-type", "application/octet-stream").split(";")[0]


def _error(resp: httpx.Response) -> EasyPostError:
    """EasyPost's error object: {"error": {"code", "message", "errors": [...]}}."""
    try:
        err = resp.json().get("error") or {}
    except (ValueError, AttributeError):
        err = {}
    message = err.get("message") if isinstance(err, dict) else None
    code = err.get("code") if isinstance(err, dict) else None
    return EasyPostError(f"EasyPost refused ({resp.status_code}): {message or resp.text[:200]}", resp.status_code, code)


def rate_amount(rate: dict) -> Decimal:
    try:
        return Decimal(str(rate.get("rate")))
    except (InvalidOperation, ValueError):
        return Decimal("Infinity")


def choose_rate(rates: list[dict], carriers: set[str], carrier: str | None = None,
                service: str | None = None) -> dict | None:
    """The cheapest rate among `carriers` (EasyPost's carrier names that we can ship with),
    narrowed to the operator's carrier and/or service when given (case-insensitive)."""
    fits = [r for r in rates
            if r.get("carrier") in carriers
            and (carrier is None or str(r.get("carrier", "")).casefold() == carrier.casefold())
            and (service is None or str(r.get("service", "")).casefold() == service.casefold())]
    return min(fits, key=rate_amount, default=None)


def label_location(postage_label: dict | None) -> str | None:
    """The PDF if EasyPost made one (we ask for label_format PDF), else the label as it is."""
    if not postage_label:
        return None
    return postage_label.get("label_pdf_url") or postage_label.get("label_url")


# -- webhooks -------------------------------------------------------------------------------------
def signature(body: bytes, secret: str) -> str:
    """The X-Hmac-Signature EasyPost sends: HMAC-SHA256 of the raw body, keyed with the webhook
    secret (NFKD-normalized, UTF-8), hex, prefixed "hmac-sha256-hex=" (EasyPost's webhooks guide
    and its client libraries' validate_webhook)."""
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return _SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    if not header or not secret:
        return False
    return hmac.compare_digest(header.strip().encode(), signature(body, secret).encode())


# EasyPost's carrier names (its rates' `carrier`) that are carriers we ship with, and what we
# call them (domain/carriers.py): a label is only bought from a carrier the shop can be told.
CARRIER_NAMES = {
    "USPS": "USPS", "UPS": "UPS", "UPSDAP": "UPS", "FedEx": "FedEx", "FedExDefault": "FedEx",
    "DHLExpress": "DHL", "DhlEcs": "DHL", "DHLeCommerceAsia": "DHL", "DPD": "DPD", "DPDUK": "DPD",
}
