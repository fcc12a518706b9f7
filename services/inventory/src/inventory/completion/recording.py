"""Step 1 of a completion: the batch's completion recorded once (a second BatchCompleted of
the same batch finds it and changes nothing), and the consumption production reported
grouped by our lot. Takes no lock: the row's primary key makes the record the guard."""

from __future__ import annotations

import logging

from sqlalchemy import ARRAY, String, bindparam, false, func, select, union
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import BatchCompleted
from inventory.tables import CompletedBatch, Lot, Reservation

log = logging.getLogger("inventory.completion")


# The completion's row, inserted unless it is there (an ORM bulk insert of one row: its
# RETURNING gives the session's object, which the later steps change). Built once, like the
# lookup below.
_RECORD = insert(CompletedBatch).on_conflict_do_nothing().returning(CompletedBatch)
# The lots named by our id, and those the plan holds an open reservation in, in one statement
# (the rest of the consumption is looked up one by one, rare). The lots wanted as one set of
# ids (a UNION), not "named OR reserved": an OR with a subquery cannot use the primary key,
# and read every lot the business ever had.
_RESERVED_IN = select(Reservation.lot_id).where(
    Reservation.plan_id == bindparam("plan_id"), Reservation.status == "open")
_NAMED = bindparam("ids", type_=ARRAY(String))
_CONSUMED_OR_RESERVED = select(Lot, Lot.lot_id == func.any(_NAMED), Lot.lot_id.in_(_RESERVED_IN)).where(
    Lot.lot_id.in_(union(_RESERVED_IN, select(func.unnest(_NAMED)))))
_RESERVED = select(Lot, false(), Lot.lot_id.in_(_RESERVED_IN)).where(Lot.lot_id.in_(_RESERVED_IN))


async def record_completion(session: AsyncSession, event: BatchCompleted) -> CompletedBatch | None:
    """The completion recorded (the session's object: the later steps change it without
    reading it again); None when this batch's completion was applied before."""
    inserted = await session.scalars(
        _RECORD,
        [{"batch_id": event.batch_id, "batch_no": event.batch_no, "sku": event.sku,
         "planned_quantity": event.planned_quantity, "output_quantity": event.output_quantity,
         "waste_quantity": event.waste_quantity, "unit": event.unit, "completed_at": event.completed_at}],
    )
    recorded = inserted.first()
    return recorded


async def consumption_by_lot(
    session: AsyncSession, event: BatchCompleted
) -> tuple[dict[str, list], set[str], dict[str, str]]:
    """The event's consumption grouped by our lot id, and the items of those lots (a lot id
    we do not know is looked up by SKU and lot number - `lot_id` may itself be the number
    printed on the label, ours or the supplier's; a lot unknown every way is logged and skipped),
    and, read in the same statement, the SKU of every lot the plan holds an open reservation in
    (the caller locks them all; nothing here is locked, so it decides nothing on quantities)."""
    grouped: dict[str, list] = {}
    skus: set[str] = set()
    # The lots named by our id, in one statement; the rest looked up one by one (rare).
    ids = sorted({u.lot_id for u in event.consumption})
    known: dict[str, Lot] = {}
    reserved: dict[str, str] = {}
    for lot, is_named, is_reserved in await session.execute(
        _CONSUMED_OR_RESERVED if ids else _RESERVED, {"plan_id": event.batch_id, "ids": ids}
    ):
        if is_named:
            known[lot.lot_id] = lot
        if is_reserved:
            reserved[lot.lot_id] = lot.sku
    for used in event.consumption:
        lot = known.get(used.lot_id)
        for number in (used.lot_no, used.lot_id) if lot is None else ():
            lot = (
                await session.execute(
                    select(Lot).where(Lot.sku == used.sku, (Lot.lot_no == number) | (Lot.supplier_lot_no == number))
                    .order_by(Lot.lot_no != number, Lot.lot_id).limit(1)
                )
            ).scalar_one_or_none()
            if lot is not None:
                break
        if lot is None:
            log.warning("batch %s consumed unknown lot %s (%s)", event.batch_no, used.lot_no, used.lot_id)
            continue
        grouped.setdefault(lot.lot_id, []).append((used.quantity, used.unit))
        skus.add(lot.sku)
    return grouped, skus, reserved
