"""Stock in the database: row locks, the ledger, reservations and allocations.

Locking discipline (why there are no deadlocks between our own handlers, and no oversell):
every transaction that changes stock (placing or cancelling an order after its advisory lock,
a completion, a shipment, a plan change, a resumption, a hold or recall) first locks the item
rows it touches, sorted by SKU (`FOR NO KEY UPDATE`, which still lets a goods receipt insert a
new lot of the item), then the rows of those items it changes - allocations, plans, demand
lines - and last the lot rows it takes (`FOR UPDATE`, FEFO or lot-id order). The item locks are
the gate: two transactions that could touch the same allocation, promise or lot both need its
item first, so what one reads after taking them includes everything the other committed
(read anything that decides what to release again under the locks). Because of that gate, a
step may lock an item's allocations and their lots in one statement (Shipped): nobody else
holding one of those rows can be waiting for the other. The CHECK constraints on `lots`
are the last line: every change is a relative UPDATE (`reserved = reserved + q`, a step's
changes to several lots in one statement: `LotChanges`) judged on the real row, so even a
stale read fails the transaction instead of overselling."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)

from sqlalchemy import Select, inspect, or_, select, text
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.domain.fefo import LotSupply
from inventory.index_predicates import free_lots
from inventory.tables import Allocation, Item, Lot, Plan, Reservation, StockMovement, utcnow


def new_id() -> str:
    return str(uuid.uuid4())


def order_lock(order_id: str) -> str:
    """The advisory lock that serializes placing and cancelling one order (different topics,
    maybe different instances): whichever runs second sees what the first committed. Taken
    before any row lock; the handlers are `serialized_by` it, so it comes with the inbox claim."""
    return f"inventory-order:{order_id}"


async def lock_items(session: AsyncSession, skus: Iterable[str]) -> dict[str, Item]:
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Item).where(Item.sku.in_(wanted)).order_by(Item.sku).with_for_update(key_share=True),
        execution_options={"populate_existing": True},
    )
    return {item.sku: item for item in rows.scalars()}


async def lock_items_named_by(session: AsyncSession, skus: Select) -> dict[str, Item]:
    """`lock_items` of the SKUs a subquery names, in one statement instead of reading them
    first. Only for SKUs that never change on the rows named (an allocation's): the subquery
    may read them from before the wait for a lock."""
    rows = await session.execute(
        select(Item).where(Item.sku.in_(skus)).order_by(Item.sku).with_for_update(key_share=True),
        execution_options={"populate_existing": True},
    )
    return {item.sku: item for item in rows.scalars()}


async def lock_usable_lots(session: AsyncSession, sku: str, today: date) -> list[Lot]:
    """The lots of `sku` with free stock, not expired and not on hold, locked, in FEFO order.
    Every allocation and reservation picks its lots here: a held lot is never offered."""
    return (await lock_usable_lots_of(session, [sku], today))[sku]


async def lock_usable_lots_of(session: AsyncSession, skus: Iterable[str], today: date) -> dict[str, list[Lot]]:
    """`lock_usable_lots` of several items in one statement (a recipe's materials), locked in
    SKU order, then FEFO."""
    wanted = sorted(set(skus))
    found: dict[str, list[Lot]] = {sku: [] for sku in wanted}
    if not wanted:
        return found
    rows = await session.execute(
        select(Lot)
        .where(
            Lot.sku.in_(wanted),
            or_(Lot.expiry_date.is_(None), Lot.expiry_date > today),
            # As lots_free says it: "free > 0" in another form could not use the index, and
            # every search read all the lots an item ever had, the emptied ones included.
            free_lots(),
        )
        .order_by(Lot.sku, Lot.expiry_date.asc().nulls_last(), Lot.received_date, Lot.lot_no, Lot.lot_id)
        .with_for_update(),
        execution_options={"populate_existing": True},
    )
    for lot in rows.scalars():
        found[lot.sku].append(lot)
    return found


async def lock_lots(session: AsyncSession, lot_ids: Iterable[str]) -> dict[str, Lot]:
    wanted = sorted(set(lot_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Lot).where(Lot.lot_id.in_(wanted)).order_by(Lot.lot_id).with_for_update(),
        execution_options={"populate_existing": True},
    )
    return {lot.lot_id: lot for lot in rows.scalars()}


def supply(lot: Lot) -> LotSupply:
    return LotSupply(lot.lot_id, lot.lot_no, lot.free, lot.expiry_date, lot.received_date)


# One statement for any number of lots: the per-lot deltas travel as arrays (the text, and
# so the prepared statement, is the same whatever the count). Relative, like every change.
_ADJUST_LOTS = text(
    "UPDATE lots SET on_hand = lots.on_hand + d.on_hand, reserved = lots.reserved + d.reserved, "
    "allocated = lots.allocated + d.allocated "
    "FROM unnest(CAST(:lot_ids AS VARCHAR[]), CAST(:on_hand AS NUMERIC[]), CAST(:reserved AS NUMERIC[]), "
    "CAST(:allocated AS NUMERIC[])) AS d(lot_id, on_hand, reserved, allocated) "
    "WHERE lots.lot_id = d.lot_id "
    "RETURNING lots.lot_id, lots.on_hand, lots.reserved, lots.allocated"
)


class LotChanges:
    """The quantity changes one step makes to several lots, written in one relative UPDATE
    (a round trip per lot was most of a handler's time). Each change shows on the Lot at once
    (the caller holds the lot's row lock, so old + delta is what the row will hold; a later
    decision of the same step reads it), and `write` takes the rows' real values back."""

    def __init__(self) -> None:
        self._lots: dict[str, Lot] = {}
        self._deltas: dict[str, list[Decimal]] = {}

    def adjust(self, lot: Lot, *, on_hand: Decimal = ZERO, reserved: Decimal = ZERO, allocated: Decimal = ZERO) -> None:
        self._lots[lot.lot_id] = lot
        delta = self._deltas.setdefault(lot.lot_id, [ZERO, ZERO, ZERO])
        # A lot not yet inserted keeps its values: they are what the INSERT writes, before the UPDATE.
        inserted = inspect(lot).persistent
        for i, (name, change) in enumerate((("on_hand", on_hand), ("reserved", reserved), ("allocated", allocated))):
            delta[i] += change
            if inserted:
                set_committed_value(lot, name, getattr(lot, name) + change)

    def post_movement(
        self, session: AsyncSession, lot: Lot, kind: str, quantity: Decimal, event_id: uuid.UUID | None = None, *,
        reserved: Decimal = ZERO, allocated: Decimal = ZERO, **refs: str | None,
    ) -> StockMovement:
        """The only way on-hand changes: a ledger row and the lot's cached on-hand, together.
        Consuming reserved or shipping allocated stock lowers those in the same UPDATE."""
        self.adjust(lot, on_hand=quantity, reserved=reserved, allocated=allocated)
        movement = StockMovement(lot_id=lot.lot_id, sku=lot.sku, kind=kind, quantity=quantity, event_id=event_id, **refs)
        session.add(movement)
        return movement

    def allocate(
        self, session: AsyncSession, lot: Lot, order_id: str, line_no: int, quantity: Decimal, plan_id: str | None = None
    ) -> Allocation:
        self.adjust(lot, allocated=quantity)
        allocation = Allocation(
            allocation_id=new_id(), order_id=order_id, line_no=line_no, lot_id=lot.lot_id, sku=lot.sku,
            quantity=quantity, plan_id=plan_id,
        )
        session.add(allocation)
        return allocation

    def reserve(self, session: AsyncSession, lot: Lot, plan_id: str, quantity: Decimal) -> Reservation:
        self.adjust(lot, reserved=quantity)
        reservation = Reservation(reservation_id=new_id(), plan_id=plan_id, lot_id=lot.lot_id, sku=lot.sku, quantity=quantity)
        session.add(reservation)
        return reservation

    def release_reservation(self, lot: Lot, reservation: Reservation, quantity: Decimal) -> None:
        """Give back (part of) what a plan set aside in a lot; a reservation with nothing left closes."""
        self.adjust(lot, reserved=-quantity)
        reservation.released = reservation.released + quantity
        if reservation.open_quantity <= 0:
            reservation.status = "closed"

    async def write(self, session: AsyncSession) -> None:
        if not self._deltas:
            return
        if any(not inspect(lot).persistent for lot in self._lots.values()):
            await session.flush()  # a Core UPDATE does not flush the new lot first
        ids = list(self._deltas)
        rows = await session.execute(
            _ADJUST_LOTS,
            {
                "lot_ids": ids,
                "on_hand": [self._deltas[i][0] for i in ids],
                "reserved": [self._deltas[i][1] for i in ids],
                "allocated": [self._deltas[i][2] for i in ids],
            },
        )
        written = rows.all()
        if len(written) != len(ids):
            raise LookupError(f"lots vanished while changed: {sorted(set(ids) - {r[0] for r in written})}")
        for lot_id, on_hand, reserved, allocated in written:
            lot = self._lots[lot_id]
            for name, value in (("on_hand", on_hand), ("reserved", reserved), ("allocated", allocated)):
                set_committed_value(lot, name, value)
        self._lots, self._deltas = {}, {}


async def adjust(
    session: AsyncSession, lot: Lot, *, on_hand: Decimal = ZERO, reserved: Decimal = ZERO, allocated: Decimal = ZERO
) -> None:
    """Change a lot's quantities relatively, in SQL, and take the row's new values back."""
    changes = LotChanges()
    changes.adjust(lot, on_hand=on_hand, reserved=reserved, allocated=allocated)
    await changes.write(session)


async def post_movement(
    session: AsyncSession, lot: Lot, kind: str, quantity: Decimal, event_id: uuid.UUID | None = None, *,
    reserved: Decimal = ZERO, allocated: Decimal = ZERO, **refs: str | None,
) -> StockMovement:
    changes = LotChanges()
    movement = changes.post_movement(session, lot, kind, quantity, event_id, reserved=reserved, allocated=allocated, **refs)
    await changes.write(session)
    return movement


async def reserve(session: AsyncSession, lot: Lot, plan_id: str, quantity: Decimal) -> Reservation:
    changes = LotChanges()
    reservation = changes.reserve(session, lot, plan_id, quantity)
    await changes.write(session)
    return reservation


async def allocate(
    session: AsyncSession, lot: Lot, order_id: str, line_no: int, quantity: Decimal, plan_id: str | None = None
) -> Allocation:
    changes = LotChanges()
    allocation = changes.allocate(session, lot, order_id, line_no, quantity, plan_id)
    await changes.write(session)
    return allocation


async def release_reservation(session: AsyncSession, lot: Lot, reservation: Reservation, quantity: Decimal) -> None:
    changes = LotChanges()
    changes.release_reservation(lot, reservation, quantity)
    await changes.write(session)


async def release_allocation(session: AsyncSession, lot: Lot, allocation: Allocation) -> Decimal:
    """Give back to stock what is still set aside for an order; returns how much."""
    rest = allocation.open_quantity
    if rest <= 0:
        return ZERO
    await adjust(session, lot, allocated=-rest)
    allocation.released = allocation.released + rest
    allocation.status = "shipped" if allocation.shipped > 0 else "released"
    allocation.released_at = utcnow()
    return rest


async def lock_plans(session: AsyncSession, plan_ids: Iterable[str]) -> dict[str, Plan]:
    wanted = sorted(set(plan_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Plan).where(Plan.plan_id.in_(wanted)).order_by(Plan.plan_id).with_for_update(),
        execution_options={"populate_existing": True},
    )
    return {p.plan_id: p for p in rows.scalars()}


async def open_reservations(session: AsyncSession, plan_ids: list[str]) -> list[Reservation]:
    if not plan_ids:
        return []
    rows = await session.execute(
        select(Reservation)
        .where(Reservation.plan_id.in_(plan_ids), Reservation.status == "open")
        .order_by(Reservation.plan_id, Reservation.lot_id),
        execution_options={"populate_existing": True},
    )
    return list(rows.scalars())
