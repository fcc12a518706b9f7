"""Finding a lot by what a person has in hand: the lot id, or the number printed on the
label (our lot number, or the supplier's on a bought lot)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.commands import Refused
from inventory.tables import Lot


async def find_lot(session: AsyncSession, ref: str) -> Lot | None:
    """The lot `ref` names, or None. Our lot number wins over a supplier's; a number that
    names several lots (one number on two items, or one supplier lot received twice) is
    refused with the candidates, since acting on the wrong lot (a hold, a recall) is worse
    than asking again with the lot id."""
    lot = await session.get(Lot, ref)
    if lot is not None:
        return lot
    for column in (Lot.lot_no, Lot.supplier_lot_no):
        found = (await session.execute(select(Lot).where(column == ref).order_by(Lot.sku, Lot.lot_id))).scalars().all()
        if len(found) == 1:
            return found[0]
        if found:
            named = ", ".join(f"{lot.lot_id} ({lot.sku} {lot.lot_no})" for lot in found)
            raise Refused(409, f"lot number {ref} names {len(found)} lots: use the lot id of one of {named}")
    return None


async def lot_or_404(session: AsyncSession, ref: str) -> Lot:
    lot = await find_lot(session, ref)
    if lot is None:
        raise Refused(404, f"no lot {ref} (neither a lot id nor a lot number printed on a label)")
    return lot

