"""The Shopify module on Shopify's documented payloads (tests/fixtures/shopify): what a
merchant would notice of each order, signatures, topics, carrier names."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from channels.domain.shop_orders import Address, PayloadError
from channels.platforms.base import DeliveryKind
from channels.platforms.shopify import Shopify

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent.parent / "fixtures" / "shopify"
SECRET = "hush-app-secret"
NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)
shopify = Shopify()


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def signed(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_the_documented_order_as_the_merchant_knows_it():
    order = shopify.parse_order(fixture("orders_create"))
    assert order.external_id == "450789469"
    assert order.reference == "#1001"
    assert order.updated_at == datetime(2008, 1, 10, 16, 0, tzinfo=timezone.utc)
    assert order.email == "bob.norman@mail.example.com"
    assert order.customer_name == "Bob Norman"
    assert order.phone == "+557734881234"
    assert (order.paid, order.cancelled, order.refunded, order.test) == (True, False, False, False)
    assert order.ship_to == Address(name="Bob Norman", address1="Chestnut Street 92", city="Louisville", zip="40202",
                                    province="Kentucky", country="US", phone="+1(502)-459-2181")
    assert (order.currency, order.subtotal, order.tax, order.shipping, order.total) == (
        "USD", Decimal("597.00"), Decimal("11.94"), Decimal("0.00"), Decimal("598.94"))
    assert order.shipping_method == "Free Shipping"
    assert order.note is None and order.language is None
    assert [(l.position, l.external_line_id, l.external_sku, l.quantity, l.product_id, l.variant_id)
            for l in order.lines] == [
        (1, "466157049", "IPOD2008GREEN", 1, "632910392", "39072856"),
        (2, "518995019", "IPOD2008RED", 1, "632910392", "49148385"),
        (3, "703073504", "IPOD2008BLACK", 1, "632910392", "457924702"),
    ]
    first = order.lines[0]
    assert (first.title, first.unit_price, first.total, first.requires_shipping) == (
        "IPod Nano - 8gb - green", Decimal("199.00"), Decimal("195.66"), True)  # after its 3.34 discount


def test_lines_that_are_not_goods_keep_what_tells_them_apart():
    wrap, sample = shopify.parse_order(fixture("orders_create_gift_wrap_and_sample")).lines[1:]
    assert (wrap.external_sku, wrap.requires_shipping, wrap.unit_price, wrap.product_id, wrap.variant_id) == (
        "", False, Decimal("5.00"), "921728736", "447654529")
    assert (sample.external_sku, sample.requires_shipping, sample.unit_price, sample.total) == (
        "", True, Decimal("0.00"), Decimal("0.00"))


def test_a_gift_goes_to_the_recipient_not_the_buyer():
    order = shopify.parse_order(fixture("orders_create_gift"))
    assert order.customer_name == "Bob Norman"
    assert order.ship_to == Address(name="Anna Schmidt", company="Schmidt Design GmbH", address1="Hauptstrasse 5",
                                    address2="3. OG", city="Berlin", zip="10115", country="DE", phone="+49 30 1234567")
    assert order.billing.name == "Bob Norman"
    assert order.note.startswith("Happy birthday Anna!")
    assert order.language == "de"
    assert (order.shipping_method, order.shipping) == ("Express International", Decimal("25.00"))


def test_test_unpaid_paid_cancelled_and_updated_orders():
    assert shopify.parse_order(fixture("orders_create_test")).test is True
    pending = shopify.parse_order(fixture("orders_create_pending"))
    paid = shopify.parse_order(fixture("orders_paid"))
    assert (pending.paid, paid.paid) == (False, True)
    assert pending.external_id == paid.external_id and paid.updated_at > pending.updated_at
    cancelled = shopify.parse_order(fixture("orders_cancelled"))
    assert (cancelled.cancelled, cancelled.refunded, cancelled.paid, cancelled.status) == (True, True, False, "cancelled")
    created, updated = shopify.parse_order(fixture("orders_create")), shopify.parse_order(fixture("orders_updated"))
    assert updated.updated_at - created.updated_at == timedelta(minutes=45)
    assert updated.note == "Please gift wrap the red one."


@pytest.mark.parametrize("status, paid, refunded", [
    ("paid", True, False), ("partially_paid", True, False), ("authorized", True, False),
    ("partially_refunded", True, False), ("pending", False, False), ("expired", False, False),
    ("refunded", False, True), ("voided", False, True),
])
def test_financial_status(status, paid, refunded):
    order = shopify.parse_order({**fixture("orders_create"), "financial_status": status})
    assert (order.paid, order.refunded) == (paid, refunded)


def test_the_rest_answer_wrapper_and_lenient_fields():
    payload = fixture("orders_create")
    payload["line_items"][0]["quantity"] = "two"  # unreadable: intake refuses a zero quantity
    payload["customer_locale"] = "fr-CA"
    payload.pop("total_shipping_price_set")
    payload["shipping_lines"][0]["discounted_price"] = "4.50"
    order = shopify.parse_order({"order": payload})
    assert order.lines[0].quantity == 0
    assert order.language == "fr"
    assert order.shipping == Decimal("4.50")


@pytest.mark.parametrize("payload", [[], "x", {"name": "#1"}, {"id": None}, {"id": 1, "line_items": ["x"]}])
def test_what_cannot_be_an_order(payload):
    with pytest.raises(PayloadError):
        shopify.parse_order(payload)


def test_signature_good_and_bad():
    body = json.dumps(fixture("orders_create")).encode()
    assert shopify.verify(SECRET, {"X-Shopify-Hmac-Sha256": signed(body)}, body, NOW) is None
    assert shopify.verify(SECRET, {"x-shopify-hmac-sha256": signed(body)}, body, NOW) is None  # any header case
    assert shopify.verify(SECRET, {"X-Shopify-Hmac-Sha256": signed(body, "other")}, body, NOW)
    assert shopify.verify(SECRET, {"X-Shopify-Hmac-Sha256": signed(body)}, body + b" ", NOW)
    assert shopify.verify(SECRET, {}, body, NOW) == "missing X-Shopify-Hmac-Sha256"


def test_classify_order_topics_and_others():
    body = json.dumps(fixture("orders_create")).encode()
    delivery = shopify.classify({"X-Shopify-Topic": "orders/cancelled", "X-Shopify-Webhook-Id": "b54557e4",
                                 "X-Shopify-Event-Id": "98880550-7158-44d4"}, body)
    assert (delivery.kind, delivery.topic, delivery.delivery_id, delivery.external_id) == (
        DeliveryKind.order, "orders/cancelled", "b54557e4", "450789469")
    assert delivery.payload["name"] == "#1001"
    other = shopify.classify({"X-Shopify-Topic": "products/update", "X-Shopify-Webhook-Id": "w2"}, b'{"id": 5}')
    assert (other.kind, other.external_id) == (DeliveryKind.ignored, None)
    deleted = shopify.classify({"X-Shopify-Topic": "orders/delete"}, b'{"id": 450789469}')
    assert deleted.kind is DeliveryKind.ignored
    by_event = shopify.classify({"X-Shopify-Topic": "orders/paid", "X-Shopify-Event-Id": "e1"}, body)
    assert by_event.delivery_id == "e1"
    with pytest.raises(PayloadError):
        shopify.classify({"X-Shopify-Topic": "orders/create"}, b"webhook_id=1")
    with pytest.raises(PayloadError):
        shopify.classify({"X-Shopify-Topic": "orders/create"}, b'{"name": "#1"}')


@pytest.mark.parametrize("ours, theirs", [
    ("DHL", "DHL Express"), ("ups", "UPS"), ("DPD", "DPD"), ("GLS", "GLS"), ("FedEx", "FedEx"), ("USPS", "USPS"),
    ("Local courier", "Other"), ("Pigeon", "Other"),
])
def test_carrier_names(ours, theirs):
    assert shopify.carrier_name(ours) == theirs
