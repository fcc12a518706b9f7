"""Status derivation: ranks only move forward; a line awaiting materials holds the order."""

from decimal import Decimal

import pytest

from orders.domain.status import (
    LineFacts, LineState, OrderStatus as S, advance, derive_status, goods_left, line_state, rank,
)

pytestmark = pytest.mark.unit

D = Decimal


def test_ranks_follow_the_saga():
    order = [S.received, S.awaiting_materials, S.materials_reserved, S.in_production, S.allocated,
             S.ready_to_ship, S.partially_shipped, S.shipped, S.delivered]
    assert [rank(s) for s in order] == sorted(rank(s) for s in order)


@pytest.mark.parametrize(
    "current,implied,expected",
    [
        (S.received, S.materials_reserved, S.materials_reserved),
        (S.shipped, S.ready_to_ship, S.shipped),  # OrderAllocated after Shipped
        (S.ready_to_ship, S.allocated, S.ready_to_ship),
        (S.in_production, S.materials_reserved, S.in_production),
        (S.partially_shipped, S.shipped, S.shipped),
        (S.delivered, S.shipped, S.delivered),
        (S.cancelled, S.delivered, S.cancelled),
    ],
)
def test_progress_only_moves_forward(current, implied, expected):
    assert advance(current, implied) is expected


def test_one_line_awaiting_materials_holds_the_order_back():
    reserved = LineFacts(quantity=D(10), unit="pcs", plans=((D(10), "pcs"),))
    short = LineFacts(quantity=D(5), unit="kg", short=True)
    assert derive_status(S.materials_reserved, [reserved, short]) is S.awaiting_materials
    # once the short line is reserved too, the order shows its progress again
    covered = LineFacts(quantity=D(5), unit="kg", short=True, plans=((D(5000), "g"),))
    assert derive_status(S.materials_reserved, [reserved, covered]) is S.materials_reserved


def test_a_late_shortage_does_not_undo_a_reservation():
    # MaterialsShort replayed after MaterialsReserved for the whole line
    line = LineFacts(quantity=D(10), unit="pcs", short=True, plans=((D(10), "pcs"),))
    assert line_state(line) is LineState.materials_reserved
    assert derive_status(S.materials_reserved, [line]) is S.materials_reserved


def test_partly_allocated_line_short_for_the_rest_awaits_materials():
    line = LineFacts(quantity=D(10), unit="pcs", short=True, allocated=(D(4), "pcs"))
    assert line_state(line) is LineState.awaiting_materials
    assert derive_status(S.allocated, [line]) is S.awaiting_materials
    # the rest reserved on a plan: covered
    rest = LineFacts(quantity=D(10), unit="pcs", short=True, allocated=(D(4), "pcs"), plans=((D(6), "pcs"),))
    assert derive_status(S.allocated, [rest]) is S.allocated


def test_partial_plan_with_shortage_for_the_rest_awaits_materials():
    line = LineFacts(quantity=D(10), unit="kg", short=True, plans=((D(3), "kg"),))
    assert line_state(line) is LineState.awaiting_materials


def test_plan_of_unknown_or_other_dimension_counts_as_covering():
    assert line_state(LineFacts(quantity=D(1), unit="L", short=True, plans=((D(1), "kg"),))) is LineState.materials_reserved
    assert line_state(LineFacts(quantity=D(1), unit="L", short=True, plans=((None, None),))) is LineState.materials_reserved


def test_shipment_facts_win_over_awaiting_lines():
    short = LineFacts(quantity=D(5), unit="kg", short=True)
    assert derive_status(S.partially_shipped, [short]) is S.partially_shipped
    assert derive_status(S.delivered, [short]) is S.delivered


def test_fully_allocated_line_is_covered_whatever_the_shortage_said():
    line = LineFacts(quantity=D(5), unit="kg", short=True, fully_allocated=True)
    assert line_state(line) is LineState.allocated
    assert derive_status(S.ready_to_ship, [line]) is S.ready_to_ship


@pytest.mark.parametrize(
    "facts,state",
    [
        (LineFacts(), LineState.received),
        (LineFacts(short=True), LineState.awaiting_materials),
        (LineFacts(plans=((D(1), "pcs"),)), LineState.materials_reserved),
        (LineFacts(plans=((D(1), "pcs"),), started=True), LineState.in_production),
        (LineFacts(quantity=D(2), allocated=(D(1), "pcs")), LineState.partially_allocated),
        (LineFacts(allocated=(D(1), "pcs"), fully_allocated=True), LineState.allocated),
    ],
)
def test_line_states(facts, state):
    assert line_state(facts) is state


def test_cancelled_order_shows_cancelled_until_goods_leave():
    short = LineFacts(quantity=D(5), unit="kg", short=True)
    for progress in (S.received, S.in_production, S.ready_to_ship):
        assert derive_status(progress, [short], cancelled=True) is S.cancelled
    # a parcel that left before shipping saw the cancel: physical reality wins
    assert derive_status(S.partially_shipped, [short], cancelled=True) is S.partially_shipped
    assert derive_status(S.shipped, [], cancelled=True) is S.shipped
    assert derive_status(S.delivered, [], cancelled=True) is S.delivered


@pytest.mark.parametrize("progress,left", [(S.ready_to_ship, False), (S.partially_shipped, True),
                                           (S.shipped, True), (S.delivered, True), (S.cancelled, False)])
def test_goods_left(progress, left):
    assert goods_left(progress) is left
