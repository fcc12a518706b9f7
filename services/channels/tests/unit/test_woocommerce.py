"""The WooCommerce module on WooCommerce's documented order object
(tests/fixtures/woocommerce): what a merchant would notice, signatures, the webhook ping."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from channels.domain.shop_orders import Address, PayloadError
from channels.platforms.base import DeliveryKind
from channels.platforms.woocommerce import WooCommerce

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent.parent / "fixtures" / "woocommerce"
SECRET = "wc-webhook-secret"
NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)
woo = WooCommerce()


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def signed(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_the_documented_order_as_the_merchant_knows_it():
    order = woo.parse_order(fixture("order_created"))
    assert (order.external_id, order.reference) == ("727", "727")
    assert order.updated_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=timezone.utc)  # the GMT field
    assert (order.email, order.customer_name, order.phone) == ("john.doe@example.com", "John Doe", "(555) 555-5555")
    assert (order.paid, order.cancelled, order.refunded, order.test, order.status) == (True, False, False, False, "processing")
    assert order.ship_to == Address(name="John Doe", address1="969 Market", city="San Francisco", zip="94103",
                                    province="CA", country="US")
    assert (order.currency, order.subtotal, order.tax, order.shipping, order.total) == (
        "USD", Decimal("18.00"), Decimal("1.35"), Decimal("10.00"), Decimal("29.35"))
    assert (order.shipping_method, order.note) == ("Flat Rate", None)
    single, variable = order.lines
    # The documented example's first line has no SKU: it is mapped by product id instead.
    assert (single.position, single.external_line_id, single.external_sku, single.quantity, single.product_id,
            single.variant_id, single.unit_price, single.total) == (
        1, "315", "", 2, "93", None, Decimal("3.00"), Decimal("6.00"))
    assert (variable.external_sku, variable.product_id, variable.variant_id, variable.unit_price) == (
        "Bar3", "22", "23", Decimal("12.00"))
    assert variable.requires_shipping is None  # WooCommerce does not say per line


def test_a_gift_goes_to_the_recipient_not_the_buyer():
    order = woo.parse_order(fixture("order_created_gift"))
    assert order.customer_name == "John Doe"
    assert order.ship_to == Address(name="Jane Roe", company="Roe Ceramics", address1="12 Harbour Road",
                                    address2="Unit 4", city="Bristol", zip="BS1 5DB", country="GB",
                                    phone="+44 117 496 0000")
    assert order.note == "It's a present for Jane - no invoice in the parcel please."


def test_blank_shipping_means_the_billing_address():
    payload = fixture("order_created")
    payload["shipping"] = {k: "" for k in payload["shipping"]}
    order = woo.parse_order(payload)
    assert order.ship_to == order.billing and order.ship_to.phone == "(555) 555-5555"


def test_a_free_sample_line():
    sample = woo.parse_order(fixture("order_created_free_sample")).lines[-1]
    assert (sample.external_sku, sample.unit_price, sample.total, sample.product_id) == (
        "SAMPLE-SACHET", Decimal("0.00"), Decimal("0.00"), "101")


@pytest.mark.parametrize("name, paid, cancelled, refunded", [
    ("order_created_pending", False, False, False),
    ("order_created_on_hold", False, False, False),
    ("order_updated_paid", True, False, False),
    ("order_updated_cancelled", False, True, False),
    ("order_updated_refunded", False, False, True),
])
def test_the_order_life_at_the_shop(name, paid, cancelled, refunded):
    order = woo.parse_order(fixture(name))
    assert (order.paid, order.cancelled, order.refunded) == (paid, cancelled, refunded)


@pytest.mark.parametrize("status, paid, cancelled", [
    ("failed", False, False), ("checkout-draft", False, False), ("completed", True, False), ("trash", False, True)])
def test_other_statuses(status, paid, cancelled):
    order = woo.parse_order({**fixture("order_created"), "status": status})
    assert (order.paid, order.cancelled) == (paid, cancelled)


def test_later_versions_are_later():
    pending, paid = woo.parse_order(fixture("order_created_pending")), woo.parse_order(fixture("order_updated_paid"))
    assert paid.updated_at > pending.updated_at
    created, updated = woo.parse_order(fixture("order_created")), woo.parse_order(fixture("order_updated"))
    assert updated.updated_at > created.updated_at and updated.ship_to.address2 == "Suite 300"


def test_date_modified_is_the_fallback():
    payload = fixture("order_created")
    del payload["date_modified_gmt"]
    assert woo.parse_order(payload).updated_at == datetime(2017, 3, 22, 16, 28, 8, tzinfo=timezone.utc)


@pytest.mark.parametrize("payload", [[], {"number": "1"}, {"id": 0}, {"id": 5, "line_items": [3]}])
def test_what_cannot_be_an_order(payload):
    with pytest.raises(PayloadError):
        woo.parse_order(payload)


def test_signature_good_and_bad():
    body = json.dumps(fixture("order_created")).encode()
    assert woo.verify(SECRET, {"X-WC-Webhook-Signature": signed(body)}, body, NOW) is None
    assert woo.verify(SECRET, {"x-wc-webhook-signature": signed(body)}, body, NOW) is None
    assert woo.verify(SECRET, {"X-WC-Webhook-Signature": signed(body, "other")}, body, NOW)
    assert woo.verify(SECRET, {"X-WC-Webhook-Signature": signed(body)}, body[:-1], NOW)
    assert woo.verify(SECRET, {}, body, NOW) == "missing X-WC-Webhook-Signature"


def test_the_webhook_creation_ping_is_recognised_without_a_signature():
    delivery = woo.classify({"Content-Type": "application/x-www-form-urlencoded"}, b"webhook_id=14")
    assert (delivery.kind, delivery.external_id, delivery.payload) == (DeliveryKind.ping, None, {"webhook_id": "14"})
    for not_a_ping in (b"webhook_id=x", b"webhook_id=1&id=2"):
        with pytest.raises(PayloadError):
            woo.classify({}, not_a_ping)


def test_classify_topics():
    body = json.dumps(fixture("order_updated_cancelled")).encode()
    delivery = woo.classify({"X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Delivery-ID": "36e520eb"}, body)
    assert (delivery.kind, delivery.topic, delivery.delivery_id, delivery.external_id) == (
        DeliveryKind.order, "order.updated", "36e520eb", "727")
    by_parts = woo.classify({"X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": "created"}, body)
    assert by_parts.topic == "order.created"
    product = woo.classify({"X-WC-Webhook-Topic": "product.updated"}, b'{"id": 93}')
    assert (product.kind, product.external_id) == (DeliveryKind.ignored, None)
    deleted = woo.classify({"X-WC-Webhook-Topic": "order.deleted"}, b'{"id": 727}')
    assert (deleted.kind, deleted.external_id) == (DeliveryKind.notice, "727")


def test_carrier_name_is_ours():
    assert woo.carrier_name("Local courier") == "Local courier"
