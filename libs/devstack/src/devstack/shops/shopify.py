"""A stand-in for a Shopify shop's REST Admin API and its order webhooks.

Implements what shopify.dev documents for the calls the channels service makes, and nothing
else (404): one order, the order list (updated_at_min, status, limit, Link-header cursors),
an order's fulfillment orders and fulfillments, and creating a fulfillment from fulfillment
orders. Every call needs the `X-Shopify-Access-Token` (401 otherwise). Fulfillment orders are
made from an order's line items when the order is added, one per location; fulfilling lowers
what remains and more than remains is refused with 422, as Shopify does.

Not reproduced: rate limits (leaky bucket, 429), the 60-day default window of the order
list, fulfillment holds and fulfillment-service locations, GraphQL."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import re
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from devstack.shops.server import Answer, Call, StandIn

UNAUTHORIZED = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
OVER_FULFILLED = {"errors": ["Invalid fulfillment order line item quantity requested."]}
STATUS_FILTERS = ("open", "closed", "cancelled", "any")


class ShopifyStandIn(StandIn):
    def __init__(self, token: str = "shpat_standin", *, shop_domain: str = "standin.myshopify.com",
                 location_id: int = 655441491) -> None:
        self.token = token
        self.shop_domain = shop_domain
        self.location_id = location_id
        self.orders: dict[str, dict] = {}
        self.fulfillment_orders: dict[str, list[dict]] = {}  # by order id
        self.fulfillments: dict[str, list[dict]] = {}  # by order id
        self._ids = itertools.count(1_000_000)
        super().__init__()

    # -- test set-up --------------------------------------------------------------------------
    def add_order(self, payload: dict, *, locations: dict[Any, int] | None = None) -> dict:
        """Keep an order (the Order resource, as a webhook carries it) and make its fulfillment
        orders: one per location; `locations` sends line item ids elsewhere than the default."""
        order = copy.deepcopy(payload)
        order_id = str(order["id"])
        with self.lock:
            self.orders[order_id] = order
            by_location: dict[int, list[dict]] = {}
            for item in order.get("line_items") or []:
                where = (locations or {}).get(item["id"], self.location_id)
                by_location.setdefault(where, []).append(item)
            status = "cancelled" if order.get("cancelled_at") else "open"
            self.fulfillment_orders[order_id] = [
                self._fulfillment_order(order, location, items, status) for location, items in by_location.items()]
            self.fulfillments.setdefault(order_id, [])
        return order

    def _fulfillment_order(self, order: dict, location: int, items: list[dict], status: str) -> dict:
        fo_id = next(self._ids)
        return {
            "id": fo_id, "shop_id": 548380009, "order_id": order["id"], "assigned_location_id": location,
            "request_status": "unsubmitted", "status": status,
            "supported_actions": ["create_fulfillment", "move"] if status == "open" else [],
            "destination": order.get("shipping_address"), "fulfill_at": None, "fulfillment_holds": [],
            "line_items": [
                {"id": next(self._ids), "shop_id": 548380009, "fulfillment_order_id": fo_id,
                 "line_item_id": item["id"], "inventory_item_id": None, "variant_id": item.get("variant_id"),
                 "quantity": item["quantity"], "fulfillable_quantity": item["quantity"]}
                for item in items],
        }

    def webhook(self, topic: str, payload: dict, secret: str, *, delivery_id: str | None = None,
                event_id: str | None = None, api_version: str = "2025-07") -> tuple[dict[str, str], bytes]:
        """A delivery as Shopify sends it: the JSON body and its documented headers, signed
        with the app's secret. A fresh webhook id unless one is given (a redelivery)."""
        body = json.dumps(payload).encode()
        digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": digest,
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-API-Version": api_version,
            "X-Shopify-Webhook-Id": delivery_id or str(uuid.uuid4()),
            "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
            "X-Shopify-Triggered-At": datetime.now(timezone.utc).isoformat(),
        }, body

    # -- the documented endpoints -------------------------------------------------------------
    def routes(self) -> None:
        api = r"/admin/api/(?P<version>\d{4}-\d{2}|unstable)"
        self.route("GET", rf"{api}/orders/(?P<id>\d+)\.json", self._authed(self._get_order))
        self.route("GET", rf"{api}/orders\.json", self._authed(self._list_orders))
        self.route("GET", rf"{api}/orders/(?P<id>\d+)/fulfillment_orders\.json", self._authed(self._get_fos))
        self.route("GET", rf"{api}/orders/(?P<id>\d+)/fulfillments\.json", self._authed(self._get_fulfillments))
        self.route("POST", rf"{api}/fulfillments\.json", self._authed(self._create_fulfillment))

    def _authed(self, handler):
        def guarded(call: Call, m: re.Match) -> Answer:
            if call.header("X-Shopify-Access-Token") != self.token:
                return Answer(401, UNAUTHORIZED)
            return handler(call, m)
        return guarded

    def _get_order(self, call: Call, m: re.Match) -> Answer:
        order = self.orders.get(m["id"])
        return Answer(200, {"order": order}) if order else Answer(404, {"errors": "Not Found"})

    def _list_orders(self, call: Call, m: re.Match) -> Answer:
        query = {k: v[-1] for k, v in call.query.items()}
        limit = int(query.get("limit", 50))
        if not 1 <= limit <= 250:
            return Answer(400, {"errors": {"limit": "must be between 1 and 250"}})
        if "page_info" in query:
            # A cursor carries the filters of the first request; repeating them is refused.
            extra = set(query) - {"page_info", "limit", "fields"}
            if extra:
                return Answer(400, {"errors": {p: f"{p} cannot be passed when page_info is present" for p in extra}})
            try:
                cursor = json.loads(base64.urlsafe_b64decode(query["page_info"]))
            except ValueError:
                return Answer(400, {"errors": {"page_info": "Invalid value."}})
            filters, offset = cursor["filters"], cursor["offset"]
        else:
            filters, offset = {k: v for k, v in query.items() if k in ("updated_at_min", "status")}, 0
        status = filters.get("status", "open")
        if status not in STATUS_FILTERS:
            return Answer(400, {"errors": {"status": "Invalid value."}})
        since = _parse(filters["updated_at_min"]) if "updated_at_min" in filters else None
        # Not documented: the order of the list. Here oldest update first, then id.
        matching = sorted(
            (o for o in self.orders.values()
             if _status_matches(o, status) and (since is None or _parse(o["updated_at"]) >= since)),
            key=lambda o: (_parse(o["updated_at"]), o["id"]))
        page = matching[offset:offset + limit]
        links = []
        base = f"{self.url}{call.path}"
        if offset + limit < len(matching):
            links.append(f'<{base}?{urlencode({"limit": limit, "page_info": _cursor(filters, offset + limit)})}>; rel="next"')
        if offset > 0:
            links.append(f'<{base}?{urlencode({"limit": limit, "page_info": _cursor(filters, max(0, offset - limit))})}>; rel="previous"')
        return Answer(200, {"orders": page}, {"Link": ", ".join(links)} if links else {})

    def _get_fos(self, call: Call, m: re.Match) -> Answer:
        if m["id"] not in self.orders:
            return Answer(404, {"errors": "Not Found"})
        return Answer(200, {"fulfillment_orders": self.fulfillment_orders[m["id"]]})

    def _get_fulfillments(self, call: Call, m: re.Match) -> Answer:
        if m["id"] not in self.orders:
            return Answer(404, {"errors": "Not Found"})
        return Answer(200, {"fulfillments": self.fulfillments[m["id"]]})

    def _create_fulfillment(self, call: Call, m: re.Match) -> Answer:
        try:
            spec = call.json["fulfillment"]
            groups = spec["line_items_by_fulfillment_order"]
            assert isinstance(groups, list) and groups
        except (ValueError, KeyError, TypeError, AssertionError):
            return Answer(400, {"errors": {"fulfillment": "Required parameter missing or invalid"}})
        fos = {fo["id"]: (order_id, fo) for order_id, lst in self.fulfillment_orders.items() for fo in lst}
        taken: list[tuple[dict, dict, int]] = []  # (fulfillment order, its line, quantity)
        for group in groups:
            found = fos.get(group.get("fulfillment_order_id"))
            if found is None:
                return Answer(404, {"errors": "Not Found"})
            fo = found[1]
            if fo["status"] not in ("open", "in_progress"):
                return Answer(422, {"errors": [f"Fulfillment order {fo['id']} has an unfulfillable status= {fo['status']}."]})
            wanted = group.get("fulfillment_order_line_items")
            lines = {line["id"]: line for line in fo["line_items"]}
            if not wanted:  # documented: no line items = everything left on the fulfillment order
                taken += [(fo, line, line["fulfillable_quantity"]) for line in fo["line_items"] if line["fulfillable_quantity"]]
                continue
            for item in wanted:
                line = lines.get(item.get("id"))
                quantity = item.get("quantity")
                if line is None or not isinstance(quantity, int) or not 0 < quantity <= line["fulfillable_quantity"]:
                    return Answer(422, OVER_FULFILLED)
                taken.append((fo, line, quantity))
        order_ids = {fos[fo["id"]][0] for fo, _, _ in taken}
        locations = {fo["assigned_location_id"] for fo, _, _ in taken}
        if len(order_ids) != 1 or len(locations) != 1:
            return Answer(422, {"errors": ["All fulfillment orders must belong to one order and one location."]})
        per_line: dict[int, int] = {}
        for _, line, quantity in taken:  # the same line named twice must still fit
            per_line[line["id"]] = per_line.get(line["id"], 0) + quantity
            if per_line[line["id"]] > line["fulfillable_quantity"]:
                return Answer(422, OVER_FULFILLED)
        order_id = order_ids.pop()
        for fo, line, quantity in taken:
            line["fulfillable_quantity"] -= quantity
        for fo in {fo["id"]: fo for fo, _, _ in taken}.values():
            fo["status"] = "closed" if not any(l["fulfillable_quantity"] for l in fo["line_items"]) else "in_progress"
        fulfillment = self._record_fulfillment(order_id, spec, taken)
        return Answer(201, {"fulfillment": fulfillment})

    def _record_fulfillment(self, order_id: str, spec: dict, taken: list[tuple[dict, dict, int]]) -> dict:
        tracking = spec.get("tracking_info") or {}
        order = self.orders[order_id]
        items = {item["id"]: item for item in order.get("line_items") or []}
        fulfillment = {
            "id": next(self._ids), "order_id": order["id"], "status": "success",
            "created_at": datetime.now(timezone.utc).isoformat(), "location_id": taken[0][0]["assigned_location_id"],
            "name": f"{order.get('name', '#')}.{len(self.fulfillments[order_id]) + 1}",
            "tracking_company": tracking.get("company"), "tracking_number": tracking.get("number"),
            "tracking_numbers": [tracking["number"]] if tracking.get("number") else [],
            "tracking_url": tracking.get("url"), "tracking_urls": [tracking["url"]] if tracking.get("url") else [],
            "notify_customer": bool(spec.get("notify_customer", False)),
            "line_items": [{**items.get(line["line_item_id"], {"id": line["line_item_id"]}), "quantity": q}
                           for _, line, q in taken],
        }
        self.fulfillments[order_id].append(fulfillment)
        remaining = sum(l["fulfillable_quantity"] for fo in self.fulfillment_orders[order_id] for l in fo["line_items"])
        order["fulfillment_status"] = "fulfilled" if remaining == 0 else "partial"
        return fulfillment


def _parse(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _status_matches(order: dict, status: str) -> bool:
    if status == "any":
        return True
    if status == "cancelled":
        return order.get("cancelled_at") is not None
    if status == "closed":
        return order.get("closed_at") is not None
    return order.get("cancelled_at") is None and order.get("closed_at") is None  # open


def _cursor(filters: dict, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"filters": filters, "offset": offset}).encode()).decode()
