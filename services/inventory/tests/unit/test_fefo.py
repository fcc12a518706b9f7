from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from inventory.domain.fefo import LotSupply, available, choose_lots, is_expired

pytestmark = pytest.mark.unit

TODAY = date(2026, 6, 1)


def lot(lot_id, qty, expiry_days=None, received_days_ago=10, lot_no=None):
    expiry = TODAY + timedelta(days=expiry_days) if expiry_days is not None else None
    return LotSupply(lot_id, lot_no or lot_id, D(qty), expiry, TODAY - timedelta(days=received_days_ago))


def test_takes_earliest_expiry_first_across_lots():
    lots = [lot("late", "10", 90), lot("early", "4", 10), lot("mid", "5", 30)]
    pick = choose_lots(lots, D("7"), TODAY)
    assert [(t.lot.lot_id, t.quantity) for t in pick.takes] == [("early", D(4)), ("mid", D(3))]
    assert pick.missing == 0
    assert pick.taken == D(7)


def test_expired_lots_are_never_taken_and_expiry_day_counts_as_expired():
    lots = [lot("expired", "100", -1), lot("today", "100", 0), lot("good", "3", 5)]
    pick = choose_lots(lots, D("5"), TODAY)
    assert [t.lot.lot_id for t in pick.takes] == ["good"]
    assert pick.missing == D(2)
    assert is_expired(TODAY, TODAY) and not is_expired(None, TODAY)


def test_lots_without_expiry_go_last_and_ties_go_to_the_older_receipt():
    lots = [lot("undated", "10"), lot("b-new", "2", 20, received_days_ago=1), lot("a-old", "2", 20, received_days_ago=5)]
    pick = choose_lots(lots, D("5"), TODAY)
    assert [t.lot.lot_id for t in pick.takes] == ["a-old", "b-new", "undated"]
    assert pick.takes[-1].quantity == D(1)


def test_empty_lots_are_skipped_and_available_sums_usable_stock():
    lots = [lot("empty", "0", 1), lot("ok", "2.5", 3), lot("gone", "9", -3)]
    assert available(lots, TODAY) == D("2.5")
    assert choose_lots(lots, D("0"), TODAY).takes == []


def test_not_enough_reports_what_is_missing():
    pick = choose_lots([lot("a", "1.25", 3)], D("2"), TODAY)
    assert pick.taken == D("1.25") and pick.missing == D("0.75")


def test_release_gives_back_the_latest_expiring_first():
    from inventory.domain.fefo import choose_to_release

    lots = [
        LotSupply("a", "A", D(10), date(2030, 1, 1), date(2029, 1, 1)),
        LotSupply("b", "B", D(10), date(2031, 1, 1), date(2029, 1, 1)),
        LotSupply("n", "N", D(4), None, date(2029, 1, 1)),
    ]
    pick = choose_to_release(lots, D(12))
    assert [(t.lot.lot_id, t.quantity) for t in pick.takes] == [("n", D(4)), ("b", D(8))]
    assert choose_to_release(lots, D(30)).missing == D(6)
