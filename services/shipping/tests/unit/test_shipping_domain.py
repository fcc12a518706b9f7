"""Shipping rules without I/O: carriers, transitions, the e-mail text."""

from decimal import Decimal

import pytest

from shipping.domain.carriers import CARRIERS, canonical_carrier, valid_tracking_no
from shipping.domain.notification import ItemLine, Recipient, shipped_mail
from shipping.domain.shipment import (
    AllocationAction,
    AllocationDecision,
    next_seq,
    Status,
    cancel_applies,
    deliver_refusal,
    on_allocation,
    ship_refusal,
)
from shipping.notifier import backoff

pytestmark = pytest.mark.unit


def test_carrier_names_match_case_insensitively_to_the_canonical_spelling():
    assert canonical_carrier("dhl") == "DHL"
    assert canonical_carrier(" fedex ") == "FedEx"
    assert canonical_carrier("local   COURIER") == "Local courier"
    assert canonical_carrier("DLH") is None
    assert len(CARRIERS) == 7


@pytest.mark.parametrize("value,ok", [("1Z999AA10123456784", True), ("JJD-0001", True), ("abc", False), ("has space 1", False), ("-1234", False), ("x" * 41, False)])
def test_tracking_number_shape(value, ok):
    assert valid_tracking_no(value) is ok


def _decide(shipments=(), ids=("a1",), *, shippable=True, completes=True, order_complete=False, cancelled=False,
            shipped_complete=False):
    return on_allocation(list(shipments), list(ids), shippable=shippable, completes=completes,
                         order_complete=order_complete, order_cancelled=cancelled, shipped_complete=shipped_complete)


def test_first_full_allocation_prepares_then_updates_only_while_prepared():
    assert _decide() == AllocationDecision(AllocationAction.PREPARE, ("a1",))
    assert _decide([(Status.PREPARED, {"a1"})], ["a1", "a2"]) == AllocationDecision(AllocationAction.REPLACE, ("a1", "a2"))
    for frozen in (Status.SHIPPED, Status.DELIVERED):
        assert _decide([(frozen, {"a1"})], ["a1"]).action is AllocationAction.IGNORE
    # After the shipment that completed the order left, nothing more ships.
    assert _decide([(Status.SHIPPED, {"a1"})], ["a9"], shipped_complete=True).action is AllocationAction.IGNORE


def test_partial_allocation_or_cancelled_order_prepares_nothing():
    assert _decide(shippable=False, completes=False).action is AllocationAction.IGNORE
    assert _decide(cancelled=True).action is AllocationAction.IGNORE


def test_backordered_part_ships_and_the_rest_gets_its_own_shipment():
    first = _decide(ids=["a1"], completes=False)  # backordered: shippable, not complete
    assert first == AllocationDecision(AllocationAction.PREPARE, ("a1",))
    # Inventory has not seen our Shipped yet and still lists a1: only a2 is new.
    rest = _decide([(Status.SHIPPED, {"a1"})], ["a1", "a2"])
    assert rest == AllocationDecision(AllocationAction.PREPARE, ("a2",))
    # Replayed: everything listed already left.
    assert _decide([(Status.SHIPPED, {"a1"}), (Status.SHIPPED, {"a2"})], ["a2"]).action is AllocationAction.IGNORE


def test_an_older_incomplete_state_after_completion_is_stale():
    assert _decide([(Status.PREPARED, {"a1", "a2"})], ["a1"], completes=False, order_complete=True).action \
        is AllocationAction.IGNORE


def test_shipments_are_numbered_per_order():
    assert next_seq([]) == 1
    assert next_seq([1, 2]) == 3


def test_ship_and_deliver_are_guarded_with_a_reason():
    assert ship_refusal(Status.PREPARED) is None
    assert "already shipped with DHL (tracking 123456)" in ship_refusal(Status.SHIPPED, "DHL", "123456")
    assert "cancelled" in ship_refusal(Status.CANCELLED)
    assert deliver_refusal(Status.SHIPPED) is None
    assert deliver_refusal(Status.PREPARED)
    assert deliver_refusal(Status.DELIVERED) == "shipment already delivered"


def test_cancellation_withdraws_only_a_shipment_that_has_not_left():
    assert cancel_applies(Status.PREPARED)
    assert not cancel_applies(Status.SHIPPED)
    assert not cancel_applies(None)


def test_shipping_mail_names_carrier_tracking_and_items():
    subject, body = shipped_mail(
        Recipient("SO-1001", "Ada Lovelace"), "DHL", "JD014600003",
        [ItemLine("CREAM-50", Decimal("12.000000"), "pcs", "B240101-0001")],
    )
    assert subject == "Your order SO-1001 has shipped (DHL JD014600003)"
    assert body.startswith("Hello Ada Lovelace,")
    assert "Tracking number: JD014600003" in body
    assert "12 pcs CREAM-50 (lot B240101-0001)" in body


def test_partial_and_follow_up_mails_say_which_part_left():
    items = [ItemLine("CREAM-50", Decimal("6"), "pcs", "B1")]
    subject, body = shipped_mail(Recipient("SO-1", "Ada"), "DHL", "JD1234", items, partial=True)
    assert subject == "Part of your order SO-1 has shipped (DHL JD1234)"
    assert "remaining items follow in a later shipment" in body
    subject, body = shipped_mail(Recipient("SO-1", "Ada"), "DHL", "JD5678", items, follow_up=True)
    assert subject == "The rest of your order SO-1 has shipped (DHL JD5678)"
    assert "later shipment" not in body


def test_shipping_mail_without_known_recipient_still_reads_well():
    subject, body = shipped_mail(Recipient(), "UPS", "1Z999", [ItemLine("X", Decimal("1.5"), "kg", "L1")])
    assert subject == "Your order has shipped (UPS 1Z999)"
    assert body.startswith("Hello,")


def test_backoff_doubles_and_is_capped():
    assert [backoff(n, 1.0, 5.0) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_a_delay_notice_is_due_only_for_a_later_date_past_the_promise():
    from datetime import date

    from shipping.domain.notification import tells_customer

    p = date(2030, 3, 10)
    assert tells_customer(p, date(2030, 3, 12), p)
    assert tells_customer(p, date(2030, 3, 12), None)
    assert not tells_customer(p, date(2030, 3, 10), date(2030, 3, 9))  # within the promise
    assert not tells_customer(p, date(2030, 3, 11), date(2030, 3, 20))  # earlier, though still late
    assert not tells_customer(None, date(2030, 3, 11), None) and not tells_customer(p, None, p)
