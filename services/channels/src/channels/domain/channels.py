"""The shop platforms we connect to, and our order ids for their orders."""

from __future__ import annotations

import uuid
from enum import StrEnum


class Channel(StrEnum):
    shopify = "shopify"
    woocommerce = "woocommerce"
    etsy = "etsy"


def order_id_for(channel: str, shop: str, external_id: str) -> str:
    """Our order id for a shop order: (channel, shop, the platform's order id) always gives
    the same id, so a webhook delivered twice (or by two instances at once, or once more by
    reconciliation) is one order downstream, while two shops' order 1042 are two orders."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{channel}/{shop}/{external_id}"))
