"""Etsy without I/O: Standard Webhooks signatures, what a delivery is, what a receipt says."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from channels.domain.shop_orders import PayloadError
from channels.platforms import platform_for
from channels.platforms.base import DeliveryKind
from channels.platforms.etsy import Etsy

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parents[1] / "fixtures" / "etsy"
SECRET = "whsec_" + base64.b64encode(b"our-etsy-endpoint-signing-key!!").decode()
NOW = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
etsy = Etsy()


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def signed(body: bytes, *, secret: str = SECRET, at: datetime = NOW, msg_id: str = "msg_2f8KpQ") -> dict[str, str]:
    # Written here from the spec, independently of the module under test.
    key = base64.b64decode(secret.removeprefix("whsec_"))
    stamp = str(int(at.timestamp()))
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": stamp,
            "webhook-signature": "v1," + base64.b64encode(mac).decode()}


BODY = (FIXTURES / "webhook_order_paid.json").read_bytes()


# -- verify ----------------------------------------------------------------------------------------
def test_the_published_standard_webhooks_vector_verifies():
    headers = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
               "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}
    at = datetime.fromtimestamp(1614265330, UTC)
    assert etsy.verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers, b'{"test": 2432232314}', at) is None


def test_a_delivery_signed_with_the_connector_secret_is_authentic():
    assert etsy.verify(SECRET, signed(BODY), BODY, NOW) is None


def test_header_names_are_matched_whatever_their_case():
    headers = {k.title(): v for k, v in signed(BODY).items()}
    assert etsy.verify(SECRET, headers, BODY, NOW) is None


def test_a_wrong_secret_is_refused():
    other = "whsec_" + base64.b64encode(b"somebody-else-entirely-secret!!!").decode()
    assert etsy.verify(SECRET, signed(BODY, secret=other), BODY, NOW) == "no webhook-signature matches the body"


def test_a_changed_body_is_refused():
    headers = signed(BODY)
    assert etsy.verify(SECRET, headers, BODY.replace(b"3456789012", b"3456789099"), NOW) is not None


def test_a_stale_timestamp_is_refused_even_when_signed_correctly():
    headers = signed(BODY, at=NOW - timedelta(minutes=5, seconds=1))
    reason = etsy.verify(SECRET, headers, BODY, NOW)
    assert reason is not None and "old" in reason


def test_a_future_timestamp_is_refused():
    headers = signed(BODY, at=NOW + timedelta(minutes=6))
    reason = etsy.verify(SECRET, headers, BODY, NOW)
    assert reason is not None and "future" in reason


def test_a_timestamp_within_five_minutes_either_way_is_accepted():
    assert etsy.verify(SECRET, signed(BODY, at=NOW - timedelta(minutes=4)), BODY, NOW) is None
    assert etsy.verify(SECRET, signed(BODY, at=NOW + timedelta(minutes=4)), BODY, NOW) is None


def test_any_matching_v1_signature_among_several_is_enough():
    good = signed(BODY)
    old_key = "whsec_" + base64.b64encode(b"the-secret-before-rotation-xxxx").decode()
    stale = signed(BODY, secret=old_key)["webhook-signature"]
    headers = {**good, "webhook-signature": f"v2,bm90LXVzZWQ= {stale} {good['webhook-signature']}"}
    assert etsy.verify(SECRET, headers, BODY, NOW) is None


def test_a_signature_of_another_version_does_not_count():
    good = signed(BODY)
    headers = {**good, "webhook-signature": good["webhook-signature"].replace("v1,", "v1a,")}
    assert etsy.verify(SECRET, headers, BODY, NOW) is not None


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused_with_a_reason(missing):
    headers = {k: v for k, v in signed(BODY).items() if k != missing}
    assert "missing" in etsy.verify(SECRET, headers, BODY, NOW)


def test_a_timestamp_that_is_not_a_number_is_refused():
    headers = {**signed(BODY), "webhook-timestamp": "2026-03-02T09:15:00Z"}
    assert "unix time" in etsy.verify(SECRET, headers, BODY, NOW)


def test_a_secret_that_is_not_base64_refuses_rather_than_crashes():
    assert "whsec_" in etsy.verify("whsec_not base64!", signed(BODY), BODY, NOW)


# -- classify --------------------------------------------------------------------------------------
def test_order_paid_is_a_notice_naming_the_receipt_from_resource_url():
    d = etsy.classify(signed(BODY), BODY)
    assert (d.kind, d.external_id, d.delivery_id, d.topic) == (DeliveryKind.notice, "3456789012", "msg_2f8KpQ", "order.paid")
    assert d.payload["shop_id"] == 12345678


def test_the_event_name_as_the_guide_spells_it_is_the_same_notice():
    body = json.dumps({**json.loads(BODY), "event_type": "ORDER_PAID"}).encode()
    d = etsy.classify({"webhook-id": "msg_1"}, body)
    assert (d.kind, d.external_id, d.topic) == (DeliveryKind.notice, "3456789012", "ORDER_PAID")


def test_a_cancelation_is_a_notice_too_so_the_canceled_receipt_is_fetched():
    body = json.dumps({**json.loads(BODY), "event_type": "order.canceled"}).encode()
    assert etsy.classify({}, body).kind is DeliveryKind.notice


@pytest.mark.parametrize("event", ["order.shipped", "order.delivered", "LISTING_UPDATED"])
def test_other_events_are_ignored(event):
    body = json.dumps({**json.loads(BODY), "event_type": event}).encode()
    d = etsy.classify({"webhook-id": "msg_9"}, body)
    assert (d.kind, d.external_id, d.topic, d.delivery_id) == (DeliveryKind.ignored, None, event, "msg_9")


def test_the_first_documented_nested_form_still_names_its_receipt():
    body = json.dumps({"event_type": "ORDER_PAID", "event_id": "evt_1", "created_at": 1772442900,
                       "data": {"receipt_id": 3456789012, "shop_id": 12345678}}).encode()
    assert etsy.classify({}, body).external_id == "3456789012"


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'{"resource_url": "x"}',
                                 b'{"event_type": "order.paid", "resource_url": "https://api.etsy.com/v3/application/shops/1"}'])
def test_a_body_that_cannot_be_a_delivery_is_a_payload_error(raw):
    with pytest.raises(PayloadError):
        etsy.classify({}, raw)


# -- parse -----------------------------------------------------------------------------------------
def test_a_paid_receipt_reads_as_an_order_with_money_address_and_lines():
    o = etsy.parse_order(fixture("receipt_paid.json"))
    assert (o.external_id, o.reference, o.status) == ("3456789012", "3456789012", "paid")
    assert o.updated_at == datetime(2026, 3, 2, 9, 14, 41, tzinfo=UTC)
    assert (o.email, o.customer_name, o.phone, o.billing) == ("marie.dupont@example.com", "Marie Dupont", None, None)
    assert (o.paid, o.cancelled, o.refunded, o.test) == (True, False, False, False)
    assert (o.currency, o.subtotal, o.shipping, o.tax, o.total) == (
        "EUR", Decimal("33"), Decimal("4.9"), Decimal("6.6"), Decimal("44.5"))
    assert o.note == "Plastic-free packaging if you can, thank you!"
    assert o.shipping_method == "Standard Shipping"
    a = o.ship_to
    assert (a.name, a.address1, a.address2, a.zip, a.city, a.province, a.country) == (
        "Marie Dupont", "12 Rue des Lilas", "Bâtiment B", "69003", "Lyon", None, "FR")
    first, second = o.lines
    assert (first.position, first.external_line_id, first.external_sku, first.quantity) == (1, "4567890123", "LL-BUTTER-200", 2)
    assert (first.product_id, first.variant_id, first.title) == ("1234567890", "9876543210", "Lavender body butter, 200 ml jar")
    assert (first.unit_price, first.total, first.requires_shipping) == (Decimal("12.5"), Decimal("25"), True)
    assert (second.position, second.external_sku, second.quantity, second.unit_price) == (2, "LL-BALM-ROSE", 1, Decimal("8"))
    assert o.extra["formatted_address"].startswith("Marie Dupont\n12 Rue des Lilas")


def test_a_gift_ships_to_the_recipient_while_the_buyer_stays_the_customer():
    o = etsy.parse_order(fixture("receipt_gift.json"))
    assert (o.ship_to.name, o.ship_to.address1, o.ship_to.city, o.ship_to.address2) == (
        "Léa Martin", "4 Quai de la Fosse", "Nantes", None)
    assert (o.customer_name, o.email) == ("Marie Dupont", "marie.dupont@example.com")
    assert o.extra["gift"] == {"message": "Happy birthday Léa! Big hug, Marie", "sender": "Marie Dupont"}
    assert o.shipping_method == "Express (2-3 days)"  # the upgrade paid for, not the default
    assert o.note is None


def test_a_digital_transaction_needs_no_shipping():
    o = etsy.parse_order(fixture("receipt_digital.json"))
    assert [line.requires_shipping for line in o.lines] == [True, True, False]
    planner = o.lines[2]
    assert (planner.external_sku, planner.unit_price, planner.title) == (
        "LL-PLANNER-PDF", Decimal("3"), "Printable skincare routine planner (PDF)")
    assert (o.subtotal, o.total) == (Decimal("36"), Decimal("48.1"))


def test_a_transaction_without_sku_keeps_its_listing_and_product_for_mapping():
    line = etsy.parse_order(fixture("receipt_no_sku.json")).lines[1]
    assert (line.external_sku, line.external_line_id, line.product_id, line.variant_id) == (
        "", "4567890154", "1234567899", "9876543219")


def test_an_unpaid_receipt_is_not_paid():
    o = etsy.parse_order(fixture("receipt_unpaid.json"))
    assert (o.paid, o.cancelled, o.status) == (False, False, "payment processing")


def test_a_canceled_receipt_is_cancelled_and_later_than_the_paid_one():
    paid, canceled = etsy.parse_order(fixture("receipt_paid.json")), etsy.parse_order(fixture("receipt_canceled.json"))
    assert canceled.external_id == paid.external_id
    assert (canceled.cancelled, canceled.refunded, canceled.status) == (True, False, "canceled")
    assert canceled.updated_at > paid.updated_at


def test_an_updated_receipt_carries_its_later_time_and_new_address():
    paid, updated = etsy.parse_order(fixture("receipt_paid.json")), etsy.parse_order(fixture("receipt_updated.json"))
    assert updated.updated_at - paid.updated_at == timedelta(hours=1, minutes=47, seconds=49)
    assert (updated.ship_to.address1, updated.ship_to.address2) == ("14 Rue des Lilas", "Bâtiment C, 3e étage")


def test_a_receipt_without_buyer_email_still_parses_with_the_name():
    o = etsy.parse_order(fixture("receipt_no_email.json"))
    assert (o.email, o.customer_name) == (None, "Marie Dupont")


def test_a_fully_refunded_receipt_is_refunded_and_the_older_timestamp_name_is_read():
    receipt = fixture("receipt_paid.json")
    del receipt["updated_timestamp"]
    receipt["status"] = "fully refunded"
    o = etsy.parse_order(receipt)
    assert (o.refunded, o.cancelled) == (True, False)
    assert o.updated_at == datetime.fromtimestamp(receipt["update_timestamp"], UTC)


def test_money_uses_its_divisor():
    receipt = fixture("receipt_paid.json")
    receipt["grandtotal"] = {"amount": 4450, "divisor": 1000, "currency_code": "EUR"}
    assert etsy.parse_order(receipt).total == Decimal("4.45")


@pytest.mark.parametrize("payload", [None, [], {"receipt_id": None}, {"receipt_id": "R-1"}, {"name": "x"}])
def test_something_that_is_not_a_receipt_is_a_payload_error(payload):
    with pytest.raises(PayloadError):
        etsy.parse_order(payload)


# -- carriers and wiring ---------------------------------------------------------------------------
@pytest.mark.parametrize(("ours", "theirs"), [
    ("DHL", "dhl"), ("UPS", "ups"), ("DPD", "dpd"), ("GLS", "gls"), ("FedEx", "fedex"), ("USPS", "usps"),
    ("Local courier", "other"), ("Some new carrier", "other"),
])
def test_our_carriers_map_to_etsys_names(ours, theirs):
    assert etsy.carrier_name(ours) == theirs


def test_the_platform_registry_gives_the_etsy_module():
    p = platform_for("etsy")
    assert isinstance(p, Etsy) and p.channel == "etsy"
