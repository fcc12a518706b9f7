"""Sharing a finished batch among the orders promised against it, and what an order line
still misses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True)
class Claim:
    """An order line's open promise on a batch's output."""

    order_id: str
    line_no: int
    open_quantity: Decimal
    priority: int
    placed_at: datetime


@dataclass(frozen=True)
class Share:
    claim: Claim
    quantity: Decimal


@dataclass(frozen=True)
class OutputSplit:
    shares: list[Share]
    surplus: Decimal  # stays in stock, unallocated
    shortfall: Decimal  # promised but not made (yield below plan): stays outstanding


def claim_order(claim: Claim) -> tuple:
    """Higher priority first, then the older order; ids settle the rest deterministically."""
    return (-claim.priority, claim.placed_at, claim.order_id, claim.line_no)


def share_output(output: Decimal, claims: list[Claim]) -> OutputSplit:
    shares: list[Share] = []
    left = output
    shortfall = ZERO
    for claim in sorted(claims, key=claim_order):
        q = min(max(left, ZERO), claim.open_quantity)
        if q > 0:
            shares.append(Share(claim, q))
            left -= q
        shortfall += claim.open_quantity - q
    return OutputSplit(shares, max(left, ZERO), shortfall)


def outstanding(ordered: Decimal, allocated: Decimal) -> Decimal:
    return max(ordered - allocated, ZERO)
