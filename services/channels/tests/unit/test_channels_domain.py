"""Channel rules without I/O: order ids, intake rules (what waits, what is not goods), SKU
mapping (variant, product, SKU; packs; not-goods mappings), fulfillment line items, backoff,
sealed secrets."""

import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from channels.domain.channels import order_id_for
from channels.domain.fulfillment import backoff, fulfillment_line_items
from channels.domain.intake_rules import IntakeRules
from channels.domain.shop_orders import ShopLine, ShopOrder
from channels.domain.sku_mapping import CatalogItem, SkuTarget, map_lines
from channels.secrets import SecretBox

pytestmark = pytest.mark.unit


def line(pos, sku="", qty="1", variant=None, product=None, price=None, shipping=None, ptype=None, gift=False, title=None):
    return ShopLine(pos, f"L{pos}", sku, Decimal(qty), product_id=product, variant_id=variant,
                    unit_price=None if price is None else Decimal(price), requires_shipping=shipping,
                    product_type=ptype, gift_card=gift, title=title)


def order(**over) -> ShopOrder:
    base = dict(external_id="1", reference="#1", updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
                email="a@example.com", customer_name="A", phone=None, billing=None, ship_to=None,
                lines=[line(1, "S")], paid=True, cancelled=False)
    return ShopOrder(**{**base, **over})


def test_order_id_is_stable_per_shop_order_and_differs_between_shops():
    assert order_id_for("shopify", "a", "1042") == order_id_for("shopify", "a", "1042")
    assert order_id_for("shopify", "a", "1042") != order_id_for("shopify", "b", "1042")
    uuid.UUID(order_id_for("etsy", "x", "9"))


def test_unpaid_and_test_orders_wait_unless_the_connector_says_otherwise():
    rules = IntakeRules()
    assert rules.waits(order(paid=False)) == "awaiting_payment"
    assert rules.waits(order(test=True)) == "test"
    assert rules.waits(order()) is None
    lenient = IntakeRules.from_json({"hold_unpaid": False, "skip_test_orders": False, "unknown": 1})
    assert lenient.waits(order(paid=False, test=True)) is None
    assert IntakeRules.from_json(IntakeRules().to_json()) == IntakeRules()


def test_mapping_prefers_variant_then_product_then_sku_and_converts_packs():
    mapping = {("variant", "v1"): SkuTarget("BY-VARIANT"), ("product", "p1"): SkuTarget("BY-PRODUCT"),
               ("sku", "S6"): SkuTarget("SOAP", "pcs", Decimal(6))}
    mapped = map_lines([line(1, "S6", qty="2"), line(2, "S6", variant="v1", product="p1"), line(3, "", product="p1")],
                       mapping, IntakeRules())
    assert [(m.line_no, m.sku, m.quantity) for m in mapped.goods] == [
        (1, "SOAP", Decimal(12)), (2, "BY-VARIANT", Decimal(1)), (3, "BY-PRODUCT", Decimal(1))]
    assert str(mapped.goods[0].quantity) == "12"  # not 1.2E+1 on the wire
    assert mapped.unmapped == [] and mapped.reason() is None


def test_lines_that_are_not_goods_are_dropped_by_rule_or_mapping_and_the_rest_is_named():
    mapping = {("sku", "SOAP"): SkuTarget("SOAP"), ("variant", "wrap"): SkuTarget(None, ignore=True)}
    lines = [line(1, "SOAP"), line(2, "", shipping=False, title="Gift wrap"), line(3, "SACHET", price="0"),
             line(4, "", ptype="Tip"), line(5, "", gift=True), line(6, "", variant="wrap", price="2"),
             line(7, "MYSTERY", price="9", variant="v7", title="Mystery box")]
    mapped = map_lines(lines, mapping, IntakeRules())
    assert [m.sku for m in mapped.goods] == ["SOAP"]
    assert [(li.position, why) for li, why in mapped.not_goods] == [
        (2, "needs no shipping"), (3, "free line"), (4, "product type 'Tip'"), (5, "gift card"), (6, "mapped as not goods")]
    assert [li.position for li in mapped.unmapped] == [7]
    assert "line 7 'Mystery box' (SKU 'MYSTERY', variant v7)" in mapped.reason()


def test_a_mapped_free_line_is_goods_and_rules_can_be_switched_off():
    sample = line(1, "SACHET", price="0")
    assert [m.sku for m in map_lines([sample], {("sku", "SACHET"): SkuTarget("SAMPLE")}, IntakeRules()).goods] == ["SAMPLE"]
    strict = IntakeRules.from_json({"ignore_zero_price": False, "ignore_non_shipping": False})
    assert map_lines([sample, line(2, "", shipping=False)], {}, strict).unmapped == [sample, line(2, "", shipping=False)]


CATALOG = {i.sku: i for i in (
    CatalogItem("LIP-BALM-15G", "finished", "pcs"),
    CatalogItem("SOAP-BULK", "finished", "kg"),
    CatalogItem("OLD-SOAP", "finished", "pcs", active=False),
    CatalogItem("SHEA-BUTTER", "raw", "pcs"),
    CatalogItem("BASE-CREAM", "intermediate", "pcs"),
    CatalogItem("TESTER", "finished", "pcs", sellable=False),
    CatalogItem("Ab-1", "finished", "pcs"), CatalogItem("AB-1", "finished", "pcs"),
)}


def test_an_unmapped_line_under_our_sku_maps_to_our_finished_piece_in_any_case():
    lines = [line(1, "LIP-BALM-15G", qty="3"), line(2, "  lip-balm-15g "), line(3, "AB-1"), line(4, "NOT-OURS")]
    mapped = map_lines(lines, {}, IntakeRules(), CATALOG)
    assert [(m.line_no, m.sku, m.quantity, m.unit, m.per_item, m.matched_on) for m in mapped.goods] == [
        (1, "LIP-BALM-15G", Decimal(3), "pcs", Decimal(1), "catalog"), (2, "LIP-BALM-15G", Decimal(1), "pcs", Decimal(1), "catalog"),
        (3, "AB-1", Decimal(1), "pcs", Decimal(1), "catalog")]
    assert mapped.goods[1].external_sku == "  lip-balm-15g "  # reported back to the shop as it sent it
    assert mapped.unmapped == [line(4, "NOT-OURS")] and mapped.unmapped_skus() == ["NOT-OURS"]
    assert "NOT-OURS" in mapped.reason()
    assert map_lines(lines[:1], {}, IntakeRules()).unmapped == lines[:1]  # no catalog given: as before


def test_the_catalog_takes_only_active_sellable_finished_goods_in_pieces_and_says_why_not():
    lines = [line(1, "SOAP-BULK"), line(2, "OLD-SOAP"), line(3, "shea-butter"), line(4, "BASE-CREAM"),
             line(5, "TESTER"), line(6, "ab-1")]
    mapped = map_lines(lines, {}, IntakeRules(), CATALOG)
    assert mapped.goods == [] and mapped.unmapped == lines
    assert mapped.unmapped_skus() == ["AB-1", "BASE-CREAM", "OLD-SOAP", "SHEA-BUTTER", "SOAP-BULK", "TESTER"]
    reason = mapped.reason()
    for why in ("our SOAP-BULK is counted in kg", "our OLD-SOAP is inactive", "our SHEA-BUTTER is raw, not a finished good",
                "our BASE-CREAM is intermediate, not a finished good", "our TESTER is not sellable", "could be our AB-1 or Ab-1"):
        assert why in reason, (why, reason)


def test_explicit_mappings_and_rules_win_over_the_catalog():
    mapping = {("sku", "LIP-BALM-15G"): SkuTarget("LIP-BALM-3PACK", per_item=Decimal(3)),
               ("sku", "lip-balm-15g"): SkuTarget(None, ignore=True), ("variant", "v9"): SkuTarget("OTHER")}
    lines = [line(1, "LIP-BALM-15G"), line(2, "lip-balm-15g"), line(3, "LIP-BALM-15G", variant="v9"),
             line(4, "Lip-Balm-15g", price="0"), line(5, "AB-1")]
    rules = IntakeRules(ignore_skus=("AB-1",))
    mapped = map_lines(lines, mapping, rules, CATALOG)
    assert [(m.line_no, m.sku, m.quantity, m.matched_on) for m in mapped.goods] == [
        (1, "LIP-BALM-3PACK", Decimal(3), "sku"), (3, "OTHER", Decimal(1), "variant")]
    assert [(li.position, why) for li, why in mapped.not_goods] == [
        (2, "mapped as not goods"), (4, "free line"), (5, "SKU 'AB-1' is listed as not goods")]


def test_fulfillment_line_items_go_back_to_shop_items():
    refs = [{"line_no": 1, "external_line_id": "466157049", "external_sku": "SH-CREAM", "per_item": "6"},
            {"line_no": 2, "external_line_id": None, "external_sku": "SH-SOAP", "per_item": "1"}]
    assert fulfillment_line_items([(1, Decimal(6)), (1, Decimal(6)), (2, Decimal(1))], refs) == [
        {"sku": "SH-CREAM", "quantity": 2, "id": "466157049"}, {"sku": "SH-SOAP", "quantity": 1}]


def test_backoff_is_capped():
    assert [backoff(n, 1, 5) for n in range(1, 6)] == [1, 2, 4, 5, 5]


def test_secrets_are_sealed_and_only_the_right_key_opens_them():
    box = SecretBox("a passphrase of the operator")
    sealed = box.seal("shpat_123")
    assert sealed.startswith("fernet:") and "shpat_123" not in sealed
    assert box.open(sealed) == "shpat_123"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox("another key").open(sealed)
    assert box.seal(None) is None and box.open(None) is None
