"""Reading values out of shop payloads, leniently: platforms send numbers as strings or
numbers, blanks as "" or null, and add fields all the time. A value we cannot read becomes
None (or 0 for a quantity) so that intake, not the parser, judges whether the order is usable."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from channels.domain.shop_orders import PayloadError


def body_hmac(secret: str, raw: bytes) -> str:
    """base64(HMAC-SHA256(secret, raw body)): how Shopify and WooCommerce sign webhooks."""
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


def json_object(raw: bytes) -> dict:
    """The webhook body as a JSON object, or PayloadError saying why not."""
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise PayloadError("the webhook body is not JSON") from None
    if not isinstance(payload, dict):
        raise PayloadError("the webhook body is not a JSON object")
    return payload


def object_list(payload: dict, key: str) -> list[dict]:
    """`payload[key]` as a list of objects ([] when absent); a non-object item is refused."""
    items = payload.get(key)
    if not isinstance(items, list):
        return []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise PayloadError(f"{key}[{i}] is not an object")
    return items


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, case-insensitively, whatever mapping the web framework gives."""
    value = headers.get(name)
    if value is None:
        folded = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == folded), None)
    return value.strip() or None if isinstance(value, str) else None


def text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return str(value).strip() or None


def money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def integral(value: Any) -> Decimal:
    """A quantity; 0 when unreadable (intake refuses a zero quantity with a reason)."""
    amount = money(value)
    return amount if amount is not None else Decimal(0)


def timestamp(value: Any, *, naive_is_utc: bool = False) -> datetime | None:
    """An aware datetime from ISO 8601. A time without offset is only trusted when the
    platform documents it as UTC (`naive_is_utc`); otherwise it is unusable for ordering."""
    raw = text(value)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc) if naive_is_utc else None
    return parsed


def name_of(person: Mapping[str, Any]) -> str | None:
    """"First Last" from a customer or address object."""
    return " ".join(p for p in (text(person.get("first_name")), text(person.get("last_name"))) if p) or None
