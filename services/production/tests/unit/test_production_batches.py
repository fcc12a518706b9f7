"""Batch lifecycle guards and what a completion reports."""

from datetime import date
from decimal import Decimal

import pytest

from production.domain.completion import (
    InvalidCompletion,
    LotUse,
    default_expiry,
    default_waste,
    reserved_by_lot,
    resolve_consumption,
)
from production.domain.lifecycle import BatchStatus, announces_schedule, complete_refusal, saga_of, start_refusal

pytestmark = pytest.mark.unit

BASE = LotUse("lot-1", "BASE", "L-001", Decimal("5"), "kg", date(2026, 6, 1))
JARS = LotUse("lot-2", "JAR-50", "J-77", Decimal("100"), "pcs")


def test_only_a_planned_batch_starts():
    assert start_refusal(BatchStatus.planned) is None
    for status in (BatchStatus.started, BatchStatus.completed, BatchStatus.cancelled):
        assert status.value in start_refusal(status)


def test_only_a_started_batch_completes():
    assert complete_refusal(BatchStatus.started) is None
    assert "start it" in complete_refusal(BatchStatus.planned)
    assert "completed" in complete_refusal(BatchStatus.completed)


def test_finished_batches_do_not_announce_a_schedule():
    assert announces_schedule(BatchStatus.planned) and announces_schedule(BatchStatus.started)
    assert not announces_schedule(BatchStatus.completed) and not announces_schedule(BatchStatus.cancelled)


def test_a_batch_for_one_order_carries_that_orders_saga():
    assert saga_of("b1", ["o1", "o1"]) == "o1"
    assert saga_of("b1", ["o1", "o2"]) == "b1"
    assert saga_of("b1", []) == "b1"


def test_a_lot_reserved_for_two_order_lines_is_one_lot_with_the_sum():
    lots = reserved_by_lot([BASE, JARS, LotUse("lot-1", "BASE", "L-001", Decimal("2.5"), "kg")])
    assert [(lot.lot_id, lot.quantity) for lot in lots] == [("lot-1", Decimal("7.5")), ("lot-2", Decimal(100))]


def test_consumption_defaults_to_the_reservations():
    assert resolve_consumption([BASE, JARS], None) == [BASE, JARS]


def test_given_consumption_takes_identity_from_the_reservation():
    used = resolve_consumption([BASE, JARS], [("lot-1", Decimal("5.2"))])
    assert used == [LotUse("lot-1", "BASE", "L-001", Decimal("5.2"), "kg", date(2026, 6, 1))]


def test_consumption_of_an_unreserved_lot_is_refused():
    with pytest.raises(InvalidCompletion) as exc:
        resolve_consumption([BASE], [("lot-9", Decimal(1)), ("lot-1", Decimal(1)), ("lot-1", Decimal(2))])
    assert exc.value.reasons == ["lot lot-9 is not reserved for this batch", "lot lot-1 is listed more than once"]


def test_waste_defaults_to_what_was_planned_but_not_made():
    assert default_waste(Decimal(100), Decimal(96)) == Decimal(4)
    assert default_waste(Decimal(100), Decimal(103)) == Decimal(0)


def test_expiry_defaults_to_today_plus_shelf_life():
    assert default_expiry(date(2025, 11, 26), 30) == date(2025, 12, 26)
    assert default_expiry(date(2025, 11, 26), None) is None
