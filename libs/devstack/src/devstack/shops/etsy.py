"""A stand-in for Etsy's Open API v3, limited to what the channels service calls:

- `GET  /v3/application/shops/{shop_id}/receipts/{receipt_id}`   (getShopReceipt)
- `GET  /v3/application/shops/{shop_id}/receipts`                (getShopReceipts)
- `POST /v3/application/shops/{shop_id}/receipts/{receipt_id}/tracking` (createReceiptShipment)
- `POST /v3/public/oauth/token` with grant_type=refresh_token     (token refresh)

Every API call must carry `x-api-key: keystring:shared_secret` and `Authorization: Bearer`
with a token this stand-in issued and that has not lapsed; refusals use Etsy's error shape
(`{"error": ...}`, plus `error_description` for OAuth errors). A refresh rotates the refresh
token, so the old one is refused afterwards, as Etsy does. `webhook()` produces an ORDER_PAID
style delivery signed per Standard Webhooks, for posting to the service under test."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

from devstack.shops.server import Answer, Call, StandIn

_SHOP = r"/v3/application/shops/(?P<shop_id>\d+)"
_SORT_KEYS = {"created": "created_timestamp", "updated": "updated_timestamp", "receipt_id": "receipt_id"}
_ASCENDING = {"asc", "ascending", "up"}
_DESCENDING = {"desc", "descending", "down"}


def new_webhook_secret() -> str:
    """A signing secret as Etsy's webhook portal shows it: `whsec_` + base64 of random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign_webhook(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class EtsyStandIn(StandIn):
    def __init__(self, *, shop_id: int = 12345678, keystring: str = "standinkeystring",
                 shared_secret: str = "standinsharedsecret", user_id: int = 87654321,
                 token_lifetime: int = 3600) -> None:
        self.shop_id = shop_id
        self.keystring = keystring
        self.shared_secret = shared_secret
        self.user_id = user_id
        self.token_lifetime = token_lifetime
        self.receipts: dict[int, dict] = {}
        self.access_tokens: dict[str, float] = {}  # token -> unix expiry
        self.refresh_tokens: set[str] = set()  # the live ones; a used one is removed
        self._shipping_ids = 900000000
        # Statuses createReceiptShipment answers (one each) before it works again: `fail_next`
        # fails whichever call comes next, and a fulfillment reads the receipt first.
        self.tracking_failures: list[int] = []
        super().__init__()

    # -- what tests set up ---------------------------------------------------------------------
    @property
    def api_key(self) -> str:
        """The x-api-key value Etsy's Request Standards ask for."""
        return f"{self.keystring}:{self.shared_secret}"

    def issue_tokens(self) -> dict:
        """A fresh token pair, as the end of the OAuth authorization-code flow gives it."""
        with self.lock:
            # Etsy's tokens start with the numeric user id and a period.
            access = f"{self.user_id}.{secrets.token_urlsafe(24)}"
            refresh = f"{self.user_id}.{secrets.token_urlsafe(32)}"
            self.access_tokens[access] = time.time() + self.token_lifetime
            self.refresh_tokens.add(refresh)
            return {"access_token": access, "token_type": "Bearer", "expires_in": self.token_lifetime,
                    "refresh_token": refresh}

    def expire_access_tokens(self) -> None:
        """Every access token issued so far has lapsed (as an hour later)."""
        with self.lock:
            self.access_tokens = {t: 0.0 for t in self.access_tokens}

    def add_receipt(self, payload: dict) -> dict:
        with self.lock:
            receipt = copy.deepcopy(payload)
            self.receipts[int(receipt["receipt_id"])] = receipt
            return copy.deepcopy(receipt)

    def receipt(self, receipt_id: int | str) -> dict:
        with self.lock:
            return copy.deepcopy(self.receipts[int(receipt_id)])

    def webhook(self, event_type: str, receipt_id: int | str, secret: str, timestamp: int | None = None,
                msg_id: str | None = None) -> tuple[dict[str, str], bytes]:
        """Headers and raw body of one Etsy webhook delivery about a receipt."""
        body = json.dumps({
            "event_type": event_type,
            "resource_url": f"https://api.etsy.com/v3/application/shops/{self.shop_id}/receipts/{receipt_id}",
            "shop_id": self.shop_id,
        }).encode()
        msg_id = msg_id or f"msg_{secrets.token_urlsafe(18)}"
        stamp = int(time.time()) if timestamp is None else int(timestamp)
        headers = {"content-type": "application/json", "webhook-id": msg_id,
                   "webhook-timestamp": str(stamp), "webhook-signature": sign_webhook(secret, msg_id, stamp, body)}
        return headers, body

    # -- routes -----------------------------------------------------------------------------
    def routes(self) -> None:
        self.route("GET", rf"{_SHOP}/receipts/(?P<receipt_id>\d+)", self._get_receipt)
        self.route("GET", rf"{_SHOP}/receipts", self._list_receipts)
        self.route("POST", rf"{_SHOP}/receipts/(?P<receipt_id>\d+)/tracking", self._create_shipment)
        self.route("POST", r"/v3/public/oauth/token", self._token)

    def _get_receipt(self, call: Call, m: re.Match) -> Answer:
        if refused := self._refuse(call, m):
            return refused
        receipt = self.receipts.get(int(m["receipt_id"]))
        if receipt is None:
            return Answer(404, {"error": f"Receipt {m['receipt_id']} not found"})
        return Answer(200, copy.deepcopy(receipt))

    def _list_receipts(self, call: Call, m: re.Match) -> Answer:
        if refused := self._refuse(call, m):
            return refused
        q = {k: v[-1] for k, v in call.query.items()}
        try:
            limit, offset = int(q.get("limit", 25)), int(q.get("offset", 0))
            bounds = {k: int(q[k]) for k in ("min_created", "max_created", "min_last_modified",
                                              "max_last_modified") if k in q}
        except ValueError:
            return Answer(400, {"error": "limit, offset and time bounds must be integers"})
        if not 1 <= limit <= 100 or offset < 0:
            return Answer(400, {"error": "limit must be 1..100 and offset >= 0"})
        sort_on, sort_order = q.get("sort_on", "created"), q.get("sort_order", "desc")
        if sort_on not in _SORT_KEYS or sort_order not in _ASCENDING | _DESCENDING:
            return Answer(400, {"error": "invalid sort_on or sort_order"})
        found = [r for r in self.receipts.values() if _within(r, bounds) and _flags_match(r, q)]
        key = _SORT_KEYS[sort_on]
        found.sort(key=lambda r: (r.get(key) or 0, r["receipt_id"]), reverse=sort_order in _DESCENDING)
        return Answer(200, {"count": len(found), "results": copy.deepcopy(found[offset:offset + limit])})

    def _create_shipment(self, call: Call, m: re.Match) -> Answer:
        if refused := self._refuse(call, m):
            return refused
        if self.tracking_failures:
            return Answer(self.tracking_failures.pop(0), {"error": "forced failure"})
        receipt = self.receipts.get(int(m["receipt_id"]))
        if receipt is None:
            return Answer(404, {"error": f"Receipt {m['receipt_id']} not found"})
        form = _form_or_json(call)
        if form is None:
            return Answer(400, {"error": "the body must be JSON or form-encoded"})
        if receipt.get("status") == "canceled":
            return Answer(409, {"error": "Cannot submit tracking for a canceled receipt"})
        now = int(time.time())
        tracking, carrier = form.get("tracking_code"), form.get("carrier_name")
        # Without tracking_code and carrier_name Etsy marks the receipt shipped only.
        if tracking and carrier:
            self._shipping_ids += 1
            receipt.setdefault("shipments", []).append({
                "receipt_shipping_id": self._shipping_ids, "shipment_notification_timestamp": now,
                "carrier_name": carrier, "tracking_code": tracking})
        receipt["is_shipped"] = True
        receipt["status"] = "completed"
        receipt["updated_timestamp"] = receipt["update_timestamp"] = now
        return Answer(200, copy.deepcopy(receipt))

    def _token(self, call: Call, m: re.Match) -> Answer:
        form = {k: v[-1] for k, v in parse_qs(call.body.decode(errors="replace")).items()}
        if form.get("grant_type") != "refresh_token":
            return Answer(400, {"error": "unsupported_grant_type",
                                "error_description": "this stand-in only refreshes tokens"})
        if form.get("client_id") != self.keystring:
            return Answer(401, {"error": "invalid_client", "error_description": "client_id is unknown"})
        refresh = form.get("refresh_token")
        if refresh not in self.refresh_tokens:
            return Answer(400, {"error": "invalid_grant", "error_description": "refresh_token is revoked"})
        self.refresh_tokens.discard(refresh)  # rotated: this one never works again
        return Answer(200, self.issue_tokens())

    # -- the gate every API call passes -------------------------------------------------------------
    def _refuse(self, call: Call, m: re.Match) -> Answer | None:
        if call.header("x-api-key") != self.api_key:
            return Answer(403, {"error": "Invalid API key: x-api-key must be keystring:shared_secret"})
        auth = call.header("authorization") or ""
        if not auth.startswith("Bearer "):
            return Answer(401, {"error": "invalid_token", "error_description": "missing access token"})
        expiry = self.access_tokens.get(auth.removeprefix("Bearer "))
        if expiry is None:
            return Answer(401, {"error": "invalid_token", "error_description": "access token is invalid"})
        if expiry <= time.time():
            return Answer(401, {"error": "invalid_token", "error_description": "access token is expired"})
        if int(m["shop_id"]) != self.shop_id:
            return Answer(403, {"error": "The token's user does not own this shop"})
        return None


def _within(receipt: dict, bounds: dict[str, int]) -> bool:
    created = receipt.get("created_timestamp") or receipt.get("create_timestamp") or 0
    updated = receipt.get("updated_timestamp") or receipt.get("update_timestamp") or 0
    checks = {"min_created": created >= bounds.get("min_created", created),
              "max_created": created <= bounds.get("max_created", created),
              "min_last_modified": updated >= bounds.get("min_last_modified", updated),
              "max_last_modified": updated <= bounds.get("max_last_modified", updated)}
    return all(checks.values())


def _flags_match(receipt: dict, q: dict[str, str]) -> bool:
    wanted = {"was_paid": receipt.get("is_paid"), "was_shipped": receipt.get("is_shipped"),
              "was_canceled": receipt.get("status") == "canceled"}
    return all(q[k].lower() == str(bool(v)).lower() for k, v in wanted.items() if k in q)


def _form_or_json(call: Call) -> dict[str, Any] | None:
    kind = (call.header("content-type") or "").split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            body = json.loads(call.body or b"{}")
            return body if isinstance(body, dict) else None
        if kind == "application/x-www-form-urlencoded":
            return {k: v[-1] for k, v in parse_qs(call.body.decode()).items()}
    except (ValueError, UnicodeDecodeError):
        return None
    return None
