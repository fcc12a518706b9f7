"""The fate of a batch when an order it covers is cancelled, and the size it shrinks to."""

from decimal import Decimal

import pytest

from contracts.events.base import LineQuantity
from production.domain.cancellation import Fate, cancel_refusal, fate, order_cancelled_reason, shrunk_quantity
from production.domain.lifecycle import BatchStatus

pytestmark = pytest.mark.unit


def line(order_id: str, quantity: str, line_no: int = 1) -> LineQuantity:
    return LineQuantity(order_id=order_id, line_no=line_no, quantity=Decimal(quantity))


ALONE = [line("SO-1", "40"), line("SO-1", "10", 2)]
SHARED = [line("SO-1", "40"), line("SO-2", "25")]


@pytest.mark.parametrize(
    ("status", "covers", "expected"),
    [
        (BatchStatus.planned, ALONE, Fate.cancel),
        (BatchStatus.planned, SHARED, Fate.shrink),
        (BatchStatus.started, ALONE, Fate.release),
        (BatchStatus.started, SHARED, Fate.release),
        (BatchStatus.completed, ALONE, Fate.untouched),
        (BatchStatus.cancelled, ALONE, Fate.untouched),
        (BatchStatus.planned, [line("SO-2", "25")], Fate.untouched),
        (BatchStatus.planned, [], Fate.untouched),
    ],
)
def test_the_fate_of_a_batch_depends_on_its_status_and_who_else_it_covers(status, covers, expected):
    assert fate(status, covers, "SO-1") == expected


@pytest.mark.parametrize(
    ("current", "remaining", "expected"),
    [
        ("150", "40", "100"),   # the rule's minimum
        ("200", "120", "150"),  # rounded up to the multiple
        ("100", "40", "100"),   # already the rule's size: unchanged
        ("100", "90", "100"),
        ("120", "110", "120"),  # the rule (150) would grow it: a cancellation never grows a batch
    ],
)
def test_a_shared_batch_shrinks_to_the_recipe_rule_for_what_remains(current, remaining, expected):
    assert shrunk_quantity(Decimal(current), Decimal(remaining), Decimal(100), Decimal(50)) == Decimal(expected)


def test_a_shrunk_batch_never_drops_below_what_is_still_covered():
    assert shrunk_quantity(Decimal(500), Decimal("130.5"), Decimal(1), Decimal("0.5")) == Decimal("130.5")
    assert shrunk_quantity(Decimal(500), Decimal("130.2"), Decimal(1), Decimal("0.5")) == Decimal("130.5")


def test_only_a_planned_batch_can_be_cancelled_by_an_operator():
    assert cancel_refusal(BatchStatus.planned) is None
    for status in (BatchStatus.started, BatchStatus.completed, BatchStatus.cancelled):
        assert status.value in cancel_refusal(status)


def test_the_reason_names_the_order_and_its_own_reason():
    assert order_cancelled_reason("SO-7") == "order SO-7 cancelled"
    assert order_cancelled_reason("SO-7", " customer changed mind ") == "order SO-7 cancelled: customer changed mind"
    assert order_cancelled_reason("0d5c-uuid", "x", order_no="SO-000007") == "order SO-000007 cancelled: x"
