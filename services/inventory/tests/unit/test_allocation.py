from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from inventory.domain.allocation import Claim, outstanding, share_output

pytestmark = pytest.mark.unit


def at(hour):
    return datetime(2026, 6, 1, hour, tzinfo=timezone.utc)


def test_output_goes_to_higher_priority_then_older_orders():
    claims = [Claim("new", 1, D(30), 0, at(9)), Claim("old", 1, D(30), 0, at(8)), Claim("vip", 1, D(30), 5, at(10))]
    split = share_output(D(70), claims)
    assert [(s.claim.order_id, s.quantity) for s in split.shares] == [("vip", D(30)), ("old", D(30)), ("new", D(10))]
    assert split.shortfall == D(20) and split.surplus == 0


def test_surplus_stays_unallocated():
    split = share_output(D(100), [Claim("a", 1, D(60), 0, at(8))])
    assert split.surplus == D(40) and split.shortfall == 0


def test_no_output_leaves_everything_outstanding():
    split = share_output(D(0), [Claim("a", 1, D(60), 0, at(8))])
    assert split.shares == [] and split.shortfall == D(60)


def test_outstanding_never_negative():
    assert outstanding(D(10), D(4)) == D(6)
    assert outstanding(D(10), D(12)) == 0
