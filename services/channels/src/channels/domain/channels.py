"""The shop platforms we connect to, how their webhooks are signed, and our order ids."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from enum import StrEnum


class Channel(StrEnum):
    shopify = "shopify"
    woocommerce = "woocommerce"
    etsy = "etsy"


# Shopify and WooCommerce both sign the raw body: base64(HMAC-SHA256(secret, body)).
# Etsy has no order webhooks; an Etsy relay (poller) posts here signed the same way.
SIGNATURE_HEADER = {
    Channel.shopify: "X-Shopify-Hmac-Sha256",
    Channel.woocommerce: "X-WC-Webhook-Signature",
    Channel.etsy: "X-Etsy-Hmac-Sha256",
}


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_valid(secret: str, body: bytes, header_value: str | None) -> bool:
    if not header_value:
        return False
    return hmac.compare_digest(sign(secret, body), header_value.strip())


def order_id_for(channel: str, shop: str, external_id: str) -> str:
    """Our order id for a shop order: the same shop order always gives the same id, so a
    webhook delivered twice (or by two instances at once) is one order downstream."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{channel}/{shop}/{external_id}"))
