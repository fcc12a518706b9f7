"""A stand-in for a WooCommerce store's REST API v3 and its order webhooks.

Implements what the WooCommerce REST API docs describe for the calls the channels service
makes, and nothing else (404): one order, the order list (modified_after, dates_are_gmt,
page/per_page with X-WP-Total / X-WP-TotalPages and Link headers, orderby, order, status),
updating an order's status, and adding an order note. Every call needs HTTP Basic with the
consumer key and secret, or the documented consumer_key/consumer_secret query parameters
(401 otherwise). Webhook deliveries are signed as WooCommerce signs them; `ping()` is the
unsigned form post WooCommerce sends when a webhook is saved.

Not reproduced: OAuth 1.0a signing for plain-HTTP stores, the WordPress error bodies in
every detail, order fields other than status on update, stock and e-mails."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import math
import re
import uuid
from datetime import datetime, timezone
from urllib.parse import urlencode

from devstack.shops.server import Answer, Call, StandIn

STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash")
ORDERBY = ("date", "modified", "id", "include", "title", "slug")


def _error(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"code": code, "message": message, "data": {"status": status}})


class WooCommerceStandIn(StandIn):
    def __init__(self, consumer_key: str = "ck_standin", consumer_secret: str = "cs_standin", *,
                 source: str = "https://standin.example.com/") -> None:
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.source = source
        self.orders: dict[str, dict] = {}
        self.notes: dict[str, list[dict]] = {}  # by order id
        self._ids = itertools.count(5000)
        super().__init__()

    # -- test set-up --------------------------------------------------------------------------
    def add_order(self, payload: dict) -> dict:
        order = copy.deepcopy(payload)
        with self.lock:
            self.orders[str(order["id"])] = order
            self.notes.setdefault(str(order["id"]), [])
        return order

    def webhook(self, topic: str, payload: dict, secret: str, *, delivery_id: str | None = None,
                webhook_id: int = 3) -> tuple[dict[str, str], bytes]:
        """A delivery with WooCommerce's documented headers, signed with the webhook's
        secret. A fresh delivery id unless one is given (a redelivery)."""
        body = json.dumps(payload).encode()
        resource, _, event = topic.partition(".")
        return {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/8.6.1 Hookshot (WordPress/6.4.3)",
            "X-WC-Webhook-Source": self.source,
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": base64.b64encode(
                hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode(),
            "X-WC-Webhook-ID": str(webhook_id),
            "X-WC-Webhook-Delivery-ID": delivery_id or uuid.uuid4().hex,
        }, body

    def ping(self, webhook_id: int = 3) -> tuple[dict[str, str], bytes]:
        """What WooCommerce posts when a webhook is saved: a form body, no signature."""
        return {"Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "WooCommerce/8.6.1 Hookshot (WordPress/6.4.3)"}, f"webhook_id={webhook_id}".encode()

    # -- the documented endpoints -------------------------------------------------------------
    def routes(self) -> None:
        api = "/wp-json/wc/v3"
        self.route("GET", rf"{api}/orders", self._authed(self._list_orders))
        self.route("GET", rf"{api}/orders/(?P<id>\d+)", self._authed(self._get_order))
        # WordPress's EDITABLE routes answer POST, PUT and PATCH alike.
        for method in ("POST", "PUT", "PATCH"):
            self.route(method, rf"{api}/orders/(?P<id>\d+)", self._authed(self._update_order))
        self.route("POST", rf"{api}/orders/(?P<id>\d+)/notes", self._authed(self._add_note))

    def _authed(self, handler):
        def guarded(call: Call, m: re.Match) -> Answer:
            key, secret = _basic(call.header("Authorization"))
            if key is None:  # documented fallback for servers that drop the Authorization header
                key, secret = (call.query.get("consumer_key") or [None])[-1], (call.query.get("consumer_secret") or [None])[-1]
            if key is None:
                return _error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
            if key != self.consumer_key:
                return _error(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
            if secret != self.consumer_secret:
                return _error(401, "woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match.")
            return handler(call, m)
        return guarded

    def _get_order(self, call: Call, m: re.Match) -> Answer:
        order = self.orders.get(m["id"])
        return Answer(200, order) if order else _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")

    def _list_orders(self, call: Call, m: re.Match) -> Answer:
        query = {k: v[-1] for k, v in call.query.items()}
        try:
            page, per_page = int(query.get("page", 1)), int(query.get("per_page", 10))
        except ValueError:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): page, per_page")
        if page < 1 or not 1 <= per_page <= 100:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
        orderby, direction = query.get("orderby", "date"), query.get("order", "desc")
        status = query.get("status", "any")
        if orderby not in ORDERBY or direction not in ("asc", "desc") or status not in ("any", *STATUSES):
            return _error(400, "rest_invalid_param", "Invalid parameter(s): orderby, order, status")
        gmt = query.get("dates_are_gmt") in ("true", "1")
        after = _parse(query["modified_after"]) if "modified_after" in query else None
        field = "date_modified_gmt" if gmt else "date_modified"  # else: the site's time zone

        def keep(o: dict) -> bool:
            if status == "any" and o.get("status") == "trash":
                return False
            if status != "any" and o.get("status") != status:
                return False
            return after is None or _parse(o[field]) > after  # "after": strictly later

        sort_key = {"modified": lambda o: (_parse(o["date_modified_gmt"]), o["id"]),
                    "id": lambda o: o["id"]}.get(orderby, lambda o: (_parse(o["date_created_gmt"]), o["id"]))
        matching = sorted((o for o in self.orders.values() if keep(o)), key=sort_key, reverse=direction == "desc")
        total, pages = len(matching), math.ceil(len(matching) / per_page)
        if total and page > pages:
            return _error(400, "woocommerce_rest_invalid_page_number",
                          "The page number requested is larger than the number of pages available.")
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        links = []
        for rel, number in (("prev", page - 1), ("next", page + 1)):
            if 1 <= number <= pages:
                links.append(f'<{self.url}{call.path}?{urlencode({**query, "page": number})}>; rel="{rel}"')
        if links:
            headers["Link"] = ", ".join(links)
        return Answer(200, matching[(page - 1) * per_page: page * per_page], headers)

    def _update_order(self, call: Call, m: re.Match) -> Answer:
        order = self.orders.get(m["id"])
        if order is None:
            return _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        body = call.json if call.body else {}
        status = body.get("status") if isinstance(body, dict) else None
        if status is not None:
            if status not in STATUSES:
                return _error(400, "rest_invalid_param", "Invalid parameter(s): status")
            now = _now()
            order["status"] = status
            order["date_modified"] = order["date_modified_gmt"] = now
            if status == "completed":
                order["date_completed"] = order["date_completed_gmt"] = now
        return Answer(200, order)

    def _add_note(self, call: Call, m: re.Match) -> Answer:
        if m["id"] not in self.orders:
            return _error(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
        body = call.json if call.body else None
        if not isinstance(body, dict) or not body.get("note"):
            return _error(400, "rest_missing_callback_param", "Missing parameter(s): note")
        now = _now()
        note = {"id": next(self._ids), "author": "system", "date_created": now, "date_created_gmt": now,
                "note": body["note"], "customer_note": bool(body.get("customer_note", False))}
        self.notes[m["id"]].append(note)
        return Answer(201, note)


def _basic(value: str | None) -> tuple[str | None, str | None]:
    if not value or not value.lower().startswith("basic "):
        return None, None
    try:
        key, _, secret = base64.b64decode(value[6:].strip()).decode().partition(":")
    except ValueError:
        return None, None
    return key, secret


def _parse(value: str) -> datetime:
    # WooCommerce dates have no offset; they compare as given (GMT or the site's own time).
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed


def _now() -> str:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0).isoformat()
