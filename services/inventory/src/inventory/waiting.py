"""A line (or the rest of it) that cannot be covered now waits for materials."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from contracts.events import MaterialsShort
from contracts.events.inventory import MaterialShortage
from contracts.units import Unit
from eventkit import Context
from inventory.tables import DemandLine


async def wait_for(
    ctx: Context, demand: DemandLine, quantity: Decimal, reason: str = "", shortages: Sequence[MaterialShortage] = ()
) -> None:
    """The rest of the line waits: recorded on the demand and told with MaterialsShort."""
    demand.waiting = demand.waiting + quantity
    demand.reason = reason
    await ctx.emit(
        MaterialsShort(
            order_id=demand.order_id, line_no=demand.line_no, sku=demand.sku, quantity=quantity,
            unit=Unit(demand.unit), shortages=list(shortages), reason=reason,
        )
    )
