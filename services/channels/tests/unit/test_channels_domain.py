"""Channel rules without I/O: payload parsing, signatures, order ids, SKU mapping,
fulfillment line items."""

import uuid
from decimal import Decimal

import pytest

from channels.domain.channels import Channel, order_id_for, sign, signature_valid
from channels.domain.fulfillment import backoff, fulfillment_line_items
from channels.domain.shop_orders import PayloadError, ShopLine, parse_order
from channels.domain.sku_mapping import SkuTarget, UnmappedSku, map_lines

pytestmark = pytest.mark.unit

SHOPIFY = {
    "id": 820982911946154508, "name": "#1001", "email": "jon@example.com",
    "customer": {"first_name": "Jon", "last_name": "Snow"},
    "shipping_address": {"address1": "1 Wall St", "city": "Winterfell", "zip": "N1", "country_code": "gb", "phone": "+44 1"},
    "line_items": [{"id": 466157049, "sku": "SH-CREAM", "quantity": 2}, {"id": 518995019, "sku": "SH-SOAP", "quantity": 1}],
}
WOO = {
    "id": 727, "number": "727",
    "billing": {"email": "arya@example.com", "first_name": "Arya", "last_name": "Stark", "address_1": "2 Road", "city": "Braavos", "country": "IT"},
    "line_items": [{"id": 315, "sku": "WC-CREAM", "quantity": 3}],
}


def test_shopify_order_is_read_with_customer_address_and_lines():
    o = parse_order(Channel.shopify, SHOPIFY)
    assert (o.external_id, o.reference, o.name, o.email) == ("820982911946154508", "#1001", "Jon Snow", "jon@example.com")
    assert o.address == "1 Wall St, N1, Winterfell" and o.country == "GB" and o.phone == "+44 1"
    assert o.lines == [ShopLine(1, "466157049", "SH-CREAM", Decimal(2)), ShopLine(2, "518995019", "SH-SOAP", Decimal(1))]


def test_woocommerce_order_is_read_from_billing():
    o = parse_order(Channel.woocommerce, WOO)
    assert (o.external_id, o.name, o.email, o.country) == ("727", "Arya Stark", "arya@example.com", "IT")
    assert o.lines == [ShopLine(1, "315", "WC-CREAM", Decimal(3))]


def test_etsy_receipt_is_read():
    o = parse_order(Channel.etsy, {"receipt_id": 9, "name": "Sansa", "buyer_email": "s@example.com",
                                   "transactions": [{"transaction_id": 1, "sku": "E1", "quantity": 1}]})
    assert (o.external_id, o.name, o.lines[0].external_sku) == ("9", "Sansa", "E1")


@pytest.mark.parametrize(
    "change,reason",
    [
        ({"id": None}, "no order 'id'"),
        ({"email": "not-an-email"}, "e-mail"),
        ({"line_items": []}, "no line items"),
        ({"line_items": [{"sku": "A", "quantity": 0}]}, "must be positive"),
        ({"line_items": [{"sku": "A", "quantity": "many"}]}, "no valid quantity"),
    ],
)
def test_unusable_payloads_say_why(change, reason):
    with pytest.raises(PayloadError, match=reason):
        parse_order(Channel.shopify, {**SHOPIFY, **change})


def test_signature_is_base64_hmac_sha256_of_the_raw_body():
    body = b'{"id": 1}'
    # Expected value computed independently: printf %s | openssl dgst -sha256 -hmac s3cret-key -binary | base64
    assert sign("s3cret-key", body) == "gRjW9ojVMBDKeOSPAkRiO/Qs5wrqo91jAmSoSsacC48="
    assert signature_valid("s3cret-key", body, sign("s3cret-key", body))
    assert not signature_valid("s3cret-key", body + b" ", sign("s3cret-key", body))
    assert not signature_valid("s3cret-key", body, None)


def test_order_id_is_stable_per_shop_order():
    a = order_id_for("shopify", "acme.myshopify.com", "1001")
    assert a == order_id_for("shopify", "acme.myshopify.com", "1001")
    assert a == str(uuid.uuid5(uuid.NAMESPACE_URL, "shopify/acme.myshopify.com/1001"))
    assert a != order_id_for("woocommerce", "acme.myshopify.com", "1001")


def test_sku_mapping_converts_packs_and_names_the_first_unmapped_sku():
    lines = [ShopLine(1, "a", "PACK6", Decimal(2)), ShopLine(2, "b", "SINGLE", Decimal(1))]
    mapping = {"PACK6": SkuTarget("CREAM-50", "pcs", Decimal(6)), "SINGLE": SkuTarget("CREAM-50")}
    mapped = map_lines(lines, mapping)
    assert [(m.line_no, m.sku, m.quantity) for m in mapped] == [(1, "CREAM-50", Decimal(12)), (2, "CREAM-50", Decimal(1))]
    with pytest.raises(UnmappedSku) as err:
        map_lines(lines + [ShopLine(3, "c", "GIFTCARD", Decimal(1))], mapping)
    assert err.value.external_sku == "GIFTCARD" and "line item 3" in str(err.value)
    with pytest.raises(UnmappedSku, match="has no SKU"):
        map_lines([ShopLine(1, None, "", Decimal(1))], mapping)


def test_fulfillment_line_items_go_back_to_shop_items():
    refs = [{"line_no": 1, "external_line_id": "466157049", "external_sku": "PACK6", "per_item": "6"},
            {"line_no": 2, "external_line_id": None, "external_sku": "SINGLE", "per_item": "1"}]
    shipped = [(1, Decimal("7.000000")), (1, Decimal("5")), (2, Decimal("1"))]  # line 1 from two lots
    assert fulfillment_line_items(shipped, refs) == [
        {"sku": "PACK6", "quantity": 2, "id": "466157049"}, {"sku": "SINGLE", "quantity": 1}]


def test_backoff_is_capped():
    assert [backoff(n, 0.5, 2.0) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 2.0]
