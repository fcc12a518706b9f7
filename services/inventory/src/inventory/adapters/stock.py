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

from sqlalchemy import bindparam, inspect, or_, select, text
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.domain.fefo import LotSupply
from inventory.index_predicates import free_lots
from inventory.tables import Allocation, Item, Lot, Plan, Reservation, utcnow


def new_id() -> str:
    return str(uuid.uuid4())


def order_lock(order_id: str) -> str:
    """The advisory lock that serializes placing and cancelling one order (different topics,
    maybe different instances): whichever runs second sees what the first committed. Taken
    before any row lock; the handlers are `serialized_by` it, so it comes with the inbox claim."""
    return f"inventory-order:{order_id}"


# The row-lock statements every stock change runs, built once: building a statement cost
# about as much CPU as the database took to run it (a completion built two dozen of them).
_FRESH = {"populate_existing": True}
_LOCK_ITEMS = (
    select(Item).where(Item.sku.in_(bindparam("skus", expanding=True))).order_by(Item.sku)
    .with_for_update(key_share=True)
)
_LOCK_USABLE_LOTS = (
    select(Lot)
    .where(
        Lot.sku.in_(bindparam("skus", expanding=True)),
        or_(Lot.expiry_date.is_(None), Lot.expiry_date > bindparam("today")),
        # As lots_free says it: "free > 0" in another form could not use the index, and
        # every search read all the lots an item ever had, the emptied ones included.
        free_lots(),
    )
    .order_by(Lot.sku, Lot.expiry_date.asc().nulls_last(), Lot.received_date, Lot.lot_no, Lot.lot_id)
    .with_for_update()
)
_LOCK_LOTS = select(Lot).where(Lot.lot_id.in_(bindparam("lot_ids", expanding=True))).order_by(Lot.lot_id).with_for_update()


async def lock_items(session: AsyncSession, skus: Iterable[str]) -> dict[str, Item]:
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = await session.execute(_LOCK_ITEMS, {"skus": wanted}, execution_options=_FRESH)
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
    rows = await session.execute(_LOCK_USABLE_LOTS, {"skus": wanted, "today": today}, execution_options=_FRESH)
    for lot in rows.scalars():
        found[lot.sku].append(lot)
    return found


async def lock_lots(session: AsyncSession, lot_ids: Iterable[str]) -> dict[str, Lot]:
    wanted = sorted(set(lot_ids))
    if not wanted:
        return {}
    rows = await session.execute(_LOCK_LOTS, {"lot_ids": wanted}, execution_options=_FRESH)
    return {lot.lot_id: lot for lot in rows.scalars()}


def supply(lot: Lot) -> LotSupply:
    return LotSupply(lot.lot_id, lot.lot_no, lot.free, lot.expiry_date, lot.received_date)


# One statement for any number of lots, and what a step records beside their quantities:
# the ledger rows, new allocations and reservations, allocations shipped. Every list travels
# as arrays, so the text (and the prepared statement) is the same whatever the counts; an
# empty list inserts or updates nothing. Relative, like every change.
_WRITE = text(
    "WITH moved AS ("
    " INSERT INTO stock_movements (lot_id, sku, kind, quantity, order_id, shipment_id, batch_id, allocation_id,"
    " note, event_id, created_at)"
    " SELECT * FROM unnest(CAST(:m_lot AS VARCHAR[]), CAST(:m_sku AS VARCHAR[]), CAST(:m_kind AS VARCHAR[]),"
    " CAST(:m_quantity AS NUMERIC[]), CAST(:m_order AS VARCHAR[]), CAST(:m_shipment AS VARCHAR[]),"
    " CAST(:m_batch AS VARCHAR[]), CAST(:m_allocation AS VARCHAR[]), CAST(:m_note AS VARCHAR[]),"
    " CAST(:m_event AS UUID[]), CAST(:m_at AS TIMESTAMPTZ[]))"
    "), allocated AS ("
    " INSERT INTO allocations (allocation_id, order_id, line_no, lot_id, sku, quantity, plan_id, created_at,"
    " shipped, released, status)"
    " SELECT *, 0, 0, 'allocated' FROM unnest(CAST(:a_id AS VARCHAR[]), CAST(:a_order AS VARCHAR[]),"
    " CAST(:a_line AS INT[]), CAST(:a_lot AS VARCHAR[]), CAST(:a_sku AS VARCHAR[]), CAST(:a_quantity AS NUMERIC[]),"
    " CAST(:a_plan AS VARCHAR[]), CAST(:a_at AS TIMESTAMPTZ[]))"
    "), reserved AS ("
    " INSERT INTO reservations (reservation_id, plan_id, lot_id, sku, quantity, created_at, consumed, released, status)"
    " SELECT *, 0, 0, 'open' FROM unnest(CAST(:r_id AS VARCHAR[]), CAST(:r_plan AS VARCHAR[]),"
    " CAST(:r_lot AS VARCHAR[]), CAST(:r_sku AS VARCHAR[]), CAST(:r_quantity AS NUMERIC[]),"
    " CAST(:r_at AS TIMESTAMPTZ[]))"
    "), shipped AS ("
    " UPDATE allocations a SET shipped = a.shipped + s.shipped, released = a.released + s.released,"
    " shipment_id = s.shipment_id,"
    " status = CASE WHEN a.shipped + s.shipped + a.released + s.released >= a.quantity THEN 'shipped' ELSE a.status END,"
    " shipped_at = CASE WHEN a.shipped + s.shipped + a.released + s.released >= a.quantity THEN s.at"
    " ELSE a.shipped_at END"
    " FROM unnest(CAST(:s_id AS VARCHAR[]), CAST(:s_shipped AS NUMERIC[]), CAST(:s_released AS NUMERIC[]),"
    " CAST(:s_shipment AS VARCHAR[]), CAST(:s_at AS TIMESTAMPTZ[])) AS s(allocation_id, shipped, released, shipment_id, at)"
    " WHERE a.allocation_id = s.allocation_id"
    "), settled AS ("
    " UPDATE reservations r SET consumed = r.consumed + v.consumed, released = r.released + v.released,"
    " status = CASE WHEN v.closed OR r.quantity - r.consumed - v.consumed - r.released - v.released <= 0"
    " THEN 'closed' ELSE r.status END"
    " FROM unnest(CAST(:v_id AS VARCHAR[]), CAST(:v_consumed AS NUMERIC[]), CAST(:v_released AS NUMERIC[]),"
    " CAST(:v_closed AS BOOLEAN[])) AS v(reservation_id, consumed, released, closed)"
    " WHERE r.reservation_id = v.reservation_id"
    ")"
    " UPDATE lots SET on_hand = lots.on_hand + d.on_hand, reserved = lots.reserved + d.reserved,"
    " allocated = lots.allocated + d.allocated"
    " FROM unnest(CAST(:lot_ids AS VARCHAR[]), CAST(:on_hand AS NUMERIC[]), CAST(:reserved AS NUMERIC[]),"
    " CAST(:allocated AS NUMERIC[])) AS d(lot_id, on_hand, reserved, allocated)"
    " WHERE lots.lot_id = d.lot_id"
    " RETURNING lots.lot_id, lots.on_hand, lots.reserved, lots.allocated"
)

_MOVEMENT = ("lot_id", "sku", "kind", "quantity", "order_id", "shipment_id", "batch_id", "allocation_id", "note",
             "event_id", "created_at")
_ALLOCATION = ("allocation_id", "order_id", "line_no", "lot_id", "sku", "quantity", "plan_id", "created_at")
_RESERVATION = ("reservation_id", "plan_id", "lot_id", "sku", "quantity", "created_at")


class LotChanges:
    """What one step does to stock, written in one statement at `write` (a round trip per
    lot, and one per table, were most of a handler's time): the lots' quantities (relative),
    the ledger rows, new allocations and reservations, allocations shipped, reservations used
    or given back. Each quantity change shows on the Lot (and the Reservation) at once (the caller holds the lot's row lock, so old + delta is
    what the row will hold; a later decision of the same step reads it), and `write` takes
    the rows' real values back. The allocations and reservations returned are records of what
    is written, not tracked by the session: change them through a LotChanges, not by hand."""

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self._lots: dict[str, Lot] = {}
        self._deltas: dict[str, list[Decimal]] = {}
        self._movements: list[tuple] = []
        self._allocations: list[tuple] = []
        self._reservations: list[tuple] = []
        self._shipped: dict[str, list] = {}
        self._settled: dict[str, list] = {}

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
        self, lot: Lot, kind: str, quantity: Decimal, event_id: uuid.UUID | None = None, *,
        reserved: Decimal = ZERO, allocated: Decimal = ZERO, order_id: str | None = None,
        shipment_id: str | None = None, batch_id: str | None = None, allocation_id: str | None = None, note: str = "",
    ) -> None:
        """The only way on-hand changes: a ledger row and the lot's cached on-hand, together.
        Consuming reserved or shipping allocated stock lowers those in the same UPDATE."""
        self.adjust(lot, on_hand=quantity, reserved=reserved, allocated=allocated)
        self._movements.append((lot.lot_id, lot.sku, kind, quantity, order_id, shipment_id, batch_id, allocation_id,
                                note, event_id, utcnow()))

    def allocate(self, lot: Lot, order_id: str, line_no: int, quantity: Decimal, plan_id: str | None = None) -> Allocation:
        self.adjust(lot, allocated=quantity)
        allocation = Allocation(
            allocation_id=new_id(), order_id=order_id, line_no=line_no, lot_id=lot.lot_id, sku=lot.sku,
            quantity=quantity, plan_id=plan_id,
        )
        self._allocations.append(tuple(getattr(allocation, name) for name in _ALLOCATION))
        return allocation

    def reserve(self, lot: Lot, plan_id: str, quantity: Decimal) -> Reservation:
        self.adjust(lot, reserved=quantity)
        reservation = Reservation(reservation_id=new_id(), plan_id=plan_id, lot_id=lot.lot_id, sku=lot.sku, quantity=quantity)
        self._reservations.append(tuple(getattr(reservation, name) for name in _RESERVATION))
        return reservation

    def ship(self, allocation_id: str, shipment_id: str, shipped: Decimal, released: Decimal = ZERO) -> None:
        """Record goods of an allocation as gone with a shipment (`released`: how much of what
        a cancellation had released left after all, given as a negative change). The
        allocation counts as shipped once shipped + released covers its quantity."""
        row = self._shipped.setdefault(allocation_id, [allocation_id, ZERO, ZERO, shipment_id, utcnow()])
        row[1] += shipped
        row[2] += released
        row[3] = shipment_id

    def release_reservation(self, lot: Lot, reservation: Reservation, quantity: Decimal, *, close: bool = False) -> None:
        """Give back (part of) what a plan set aside in a lot; a reservation with nothing left
        closes (`close`: closes whatever is left)."""
        self.adjust(lot, reserved=-quantity)
        self._settle(reservation, released=quantity, close=close)

    def consume_reservation(self, reservation: Reservation, quantity: Decimal) -> None:
        """Record part of a reservation as used (the lot's reserved stock goes with the
        consumption's ledger row: `post_movement(..., reserved=-quantity)`)."""
        self._settle(reservation, consumed=quantity)

    def _settle(self, reservation: Reservation, *, consumed: Decimal = ZERO, released: Decimal = ZERO,
                close: bool = False) -> None:
        row = self._settled.setdefault(reservation.reservation_id, [reservation.reservation_id, ZERO, ZERO, False])
        row[1] += consumed
        row[2] += released
        row[3] = row[3] or close
        # The object shows the change at once and as written (the statement writes it), so the
        # session has nothing of it to flush.
        set_committed_value(reservation, "consumed", reservation.consumed + consumed)
        set_committed_value(reservation, "released", reservation.released + released)
        if row[3] or reservation.open_quantity <= 0:
            set_committed_value(reservation, "status", "closed")

    async def write(self, session: AsyncSession) -> None:
        if not (self._deltas or self._shipped or self._settled):
            return
        if session.new:
            # A Core statement does not flush the session: a new lot, plan or demand line these
            # rows refer to goes first.
            await session.flush()
        ids = list(self._deltas)
        params = {
            "lot_ids": ids,
            "on_hand": [self._deltas[i][0] for i in ids],
            "reserved": [self._deltas[i][1] for i in ids],
            "allocated": [self._deltas[i][2] for i in ids],
            **_columns("m", ("lot", "sku", "kind", "quantity", "order", "shipment", "batch", "allocation", "note",
                             "event", "at"), self._movements),
            **_columns("a", ("id", "order", "line", "lot", "sku", "quantity", "plan", "at"), self._allocations),
            **_columns("r", ("id", "plan", "lot", "sku", "quantity", "at"), self._reservations),
            **_columns("s", ("id", "shipped", "released", "shipment", "at"), list(self._shipped.values())),
            **_columns("v", ("id", "consumed", "released", "closed"), list(self._settled.values())),
        }
        written = (await session.execute(_WRITE, params)).all()
        if len(written) != len(ids):
            raise LookupError(f"lots vanished while changed: {sorted(set(ids) - {r[0] for r in written})}")
        for lot_id, on_hand, reserved, allocated in written:
            lot = self._lots[lot_id]
            for name, value in (("on_hand", on_hand), ("reserved", reserved), ("allocated", allocated)):
                set_committed_value(lot, name, value)
        self._clear()


def _columns(prefix: str, names: tuple[str, ...], rows: list) -> dict[str, list]:
    """Rows as one array per column, named `<prefix>_<name>` (the statement's unnest)."""
    columns = list(zip(*rows)) if rows else [() for _ in names]
    return {f"{prefix}_{name}": list(column) for name, column in zip(names, columns)}


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
) -> None:
    changes = LotChanges()
    changes.post_movement(lot, kind, quantity, event_id, reserved=reserved, allocated=allocated, **refs)
    await changes.write(session)


async def reserve(session: AsyncSession, lot: Lot, plan_id: str, quantity: Decimal) -> Reservation:
    changes = LotChanges()
    reservation = changes.reserve(lot, plan_id, quantity)
    await changes.write(session)
    return reservation


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
