"""The pure rules of purchasing: packs and minimums, the netting of suggestions, the choice
of supplier, and the PO's status after receipts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from contracts.events.purchasing import receipt_limit
from purchasing.domain.ordering import Terms, chosen_supplier, expected_date, order_quantity, still_to_buy, terms_problems
from purchasing.domain.status import Status, after_receipt, cancel_refusal, send_refusal

pytestmark = pytest.mark.unit


def terms(supplier="s1", lead=7, pack="25", moq="0", preferred=False) -> Terms:
    return Terms(supplier, lead, D(pack), D(moq), preferred=preferred)


@pytest.mark.parametrize("need, pack, moq, expected", [
    ("1", "25", "0", "25"),  # one pack even for a little
    ("25", "25", "0", "25"),  # exactly a pack
    ("26", "25", "0", "50"),  # rounded up, never down
    ("10", "25", "100", "100"),  # the minimum wins
    ("110", "25", "100", "125"),  # beyond the minimum: whole packs
    ("30", "0.5", "0", "30"),
    ("0.2", "0.5", "0", "0.5"),
    ("0", "25", "100", "0"),  # nothing needed: nothing ordered, minimum or not
])
def test_order_quantity_is_whole_packs_and_at_least_the_minimum(need, pack, moq, expected):
    assert order_quantity(D(need), terms(pack=pack, moq=moq)) == D(expected)


def test_still_to_buy_nets_stock_and_open_orders():
    assert still_to_buy(D(100), D(30), D(20)) == D(50)
    assert still_to_buy(D(100), D(30), D(80)) == D(0)
    assert still_to_buy(D(100), D(-5), D(0)) == D(100)  # stock is never negative demand


def test_preferred_supplier_else_the_quickest():
    quick, slow = terms("quick", lead=3), terms("slow", lead=10)
    assert chosen_supplier([slow, quick]) == quick
    assert chosen_supplier([quick, terms("pref", lead=20, preferred=True)]).supplier_id == "pref"
    assert chosen_supplier([]) is None


def test_expected_date_is_sent_date_plus_lead_time():
    assert expected_date(date(2026, 3, 30), 5) == date(2026, 4, 4)


def test_terms_of_a_pcs_material_are_whole_pieces():
    assert terms_problems(D("2.5"), D(0), "pcs") == ["pack_size 2.5 is not a whole number of pieces"]
    assert terms_problems(D("2.5"), D("0.5"), "kg") == []
    assert "pack_size must be positive" in terms_problems(D(0), D(0), "kg")


def test_status_after_receipts():
    assert after_receipt(Status.sent, [D(10), D(5)], [D(4), D(0)]) is Status.partly_received
    assert after_receipt(Status.partly_received, [D(10), D(5)], [D(10), D("5.2")]) is Status.received
    assert after_receipt(Status.sent, [D(10)], [D(0)]) is Status.sent
    assert after_receipt(Status.cancelled, [D(10)], [D(10)]) is Status.cancelled


def test_only_a_draft_is_sent_and_a_closed_po_is_not_cancelled():
    assert send_refusal(Status.draft) is None
    assert "sent" in send_refusal(Status.sent)
    assert cancel_refusal(Status.partly_received) is None
    assert cancel_refusal(Status.received) and cancel_refusal(Status.cancelled)


def test_receipt_limit_is_quantity_plus_tolerance():
    assert receipt_limit(D(100), D("0.05")) == D(105)
    assert receipt_limit(D(100), D(0)) == D(100)
