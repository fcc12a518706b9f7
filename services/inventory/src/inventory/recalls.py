"""Recalls: acting on a forward trace. Inventory owns them because it owns the trace (which
batches consumed a lot, which lots they made, which orders got them).

Opening a recall on a lot (by id or printed number) puts the lot and every lot made from it
on hold in one transaction (a LotHeld each, with the recall id) and names the customers who
already received goods of them (RecallOpened: shipping e-mails each once and blocks the
prepared shipments; orders puts it on their timelines). The recall is then tracked to
closure: each customer acknowledged or returned, and the remaining stock disposed of (ledger
`disposal`, the lots stay held for good; allocations still in them are released and their
lines re-covered like after a cancellation) or released after the investigation."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events import RecallOpened, StockReleased
from contracts.events.inventory import Allocation as AllocationOut
from contracts.events.inventory import RecallCustomer as CustomerOut
from contracts.events.inventory import RecalledGoods, RecalledLot
from eventkit import Context
from inventory.adapters.lot_refs import lot_or_404
from inventory.adapters.outgoing import emit_allocated
from inventory.adapters.stock import lock_items, lock_lots, post_movement, release_allocation, release_reservation
from inventory.adapters.trace import MAX_DEPTH
from inventory.commands import Refused
from inventory.holds import hold_lots, release_lots
from inventory.resumption import Resumable, resume
from inventory.tables import (
    Allocation, DemandLine, Item, Lot, OrderDemand, Recall, RecallCustomer, RecallLot, RecipeReplica, Reservation,
    StockMovement, utcnow,
)

ZERO = Decimal(0)
# A customer's recall moves forward only: told, then acknowledged, then goods returned.
CUSTOMER_STATES = ("notified", "acknowledged", "returned")


async def open_recall(ctx: Context, ref: str, reason: str, today: date) -> Recall:
    session = ctx.session
    lot = await lot_or_404(session, ref)
    already = (
        await session.execute(
            select(Recall.recall_id).join(RecallLot, RecallLot.recall_id == Recall.recall_id)
            .where(RecallLot.lot_id == lot.lot_id, Recall.status == "open")
        )
    ).scalars().first()
    if already is not None:
        raise Refused(409, f"lot {lot.lot_no} is in open recall {already} already")
    lots = await made_from(session, lot)
    recall = Recall(recall_id=str(uuid.uuid4()), lot_id=lot.lot_id, reason=reason)
    session.add(recall)
    await session.flush()
    session.add_all(RecallLot(recall_id=recall.recall_id, lot_id=x.lot_id) for x in lots)
    await hold_lots(ctx, [x.lot_id for x in lots], f"recall: {reason}", today, recall_id=recall.recall_id)
    customers = await customers_of(session, [x.lot_id for x in lots])
    session.add_all(
        RecallCustomer(recall_id=recall.recall_id, order_id=c.order_id, order_no=c.order_no, customer=c.customer,
                       goods=[g.model_dump(mode="json") for g in c.goods])
        for c in customers
    )
    await ctx.emit(
        RecallOpened(
            recall_id=recall.recall_id, lot_id=lot.lot_id, lot_no=lot.lot_no, sku=lot.sku, reason=reason,
            opened_at=recall.opened_at,
            lots=[RecalledLot(lot_id=x.lot_id, lot_no=x.lot_no, sku=x.sku, supplier_lot_no=x.supplier_lot_no) for x in lots],
            customers=customers,
        ),
        correlation_id=recall.recall_id,
    )
    return recall


async def made_from(session: AsyncSession, lot: Lot) -> list[Lot]:
    """The lot and every lot made from it, level by level (the forward trace's lots)."""
    found = {lot.lot_id: lot}
    frontier = [lot.lot_id]
    for _ in range(MAX_DEPTH):
        batches = select(StockMovement.batch_id).where(
            StockMovement.lot_id.in_(frontier), StockMovement.kind == "consumption", StockMovement.batch_id.is_not(None)
        )
        made = (await session.execute(select(Lot).where(Lot.batch_id.in_(batches)).order_by(Lot.lot_id))).scalars().all()
        frontier = [m.lot_id for m in made if m.lot_id not in found]
        if not frontier:
            break
        found.update((m.lot_id, m) for m in made)
    return list(found.values())


async def customers_of(session: AsyncSession, lot_ids: list[str]) -> list[CustomerOut]:
    """Who received goods of these lots: per order, what left in which shipment."""
    rows = (
        await session.execute(
            select(Allocation, OrderDemand, Lot, Item.base_unit)
            .join(OrderDemand, OrderDemand.order_id == Allocation.order_id)
            .join(Lot, Lot.lot_id == Allocation.lot_id).join(Item, Item.sku == Lot.sku)
            .where(Allocation.lot_id.in_(lot_ids), Allocation.shipped > 0)
            .order_by(OrderDemand.placed_at, Allocation.order_id, Allocation.line_no, Allocation.allocation_id)
        )
    ).all()
    by_order: dict[str, tuple[OrderDemand, list[RecalledGoods]]] = {}
    for allocation, order, lot, unit in rows:
        goods = by_order.setdefault(order.order_id, (order, []))[1]
        goods.append(RecalledGoods(sku=lot.sku, lot_id=lot.lot_id, lot_no=lot.lot_no, quantity=allocation.shipped,
                                   unit=unit, expiry_date=lot.expiry_date, shipment_id=allocation.shipment_id))
    return [
        CustomerOut(order_id=order.order_id, order_no=order.order_no, customer=order.customer,
                    shipment_ids=sorted({g.shipment_id for g in goods if g.shipment_id}),
                    lots=sorted({g.lot_no for g in goods}), goods=goods)
        for order, goods in by_order.values()
    ]


async def open_recall_of(session: AsyncSession, recall_id: str) -> Recall:
    recall = await session.get(Recall, recall_id, with_for_update=True, populate_existing=True)
    if recall is None:
        raise Refused(404, f"no recall {recall_id}")
    if recall.status != "open":
        raise Refused(409, f"recall {recall_id} was closed on {recall.closed_at:%Y-%m-%d} ({recall.disposition})")
    return recall


async def set_customer_state(session: AsyncSession, recall_id: str, order_id: str, state: str) -> RecallCustomer:
    await open_recall_of(session, recall_id)
    customer = await session.get(RecallCustomer, (recall_id, order_id), with_for_update=True, populate_existing=True)
    if customer is None:
        raise Refused(404, f"order {order_id} is not among the customers of recall {recall_id}")
    if CUSTOMER_STATES.index(state) < CUSTOMER_STATES.index(customer.state):
        raise Refused(409, f"order {customer.order_no} is {customer.state} already; a recall moves forward only")
    if state != customer.state:
        customer.state, customer.updated_at = state, utcnow()
    return customer


async def close_recall(ctx: Context, recall_id: str, disposition: str, today: date) -> Recall:
    """Closed once every customer acknowledged or returned the goods. `dispose`: the lots'
    remaining stock is written off and they stay held; `release`: their holds end (a lot that
    another open recall holds stays held)."""
    session = ctx.session
    recall = await open_recall_of(session, recall_id)
    waiting = (
        await session.execute(
            select(RecallCustomer.order_no).where(RecallCustomer.recall_id == recall_id, RecallCustomer.state == "notified")
            .order_by(RecallCustomer.order_no)
        )
    ).scalars().all()
    if waiting:
        raise Refused(409, f"recall {recall_id} still waits for {', '.join(waiting)} to acknowledge or return the goods")
    lot_ids = list((await session.execute(select(RecallLot.lot_id).where(RecallLot.recall_id == recall_id))).scalars())
    if disposition == "dispose":
        await _dispose(ctx, recall, lot_ids, today)
    else:
        others = set(
            (
                await session.execute(
                    select(RecallLot.lot_id).join(Recall, Recall.recall_id == RecallLot.recall_id)
                    .where(RecallLot.lot_id.in_(lot_ids), Recall.status == "open", Recall.recall_id != recall_id)
                )
            ).scalars()
        )
        await release_lots(ctx, [x for x in lot_ids if x not in others],
                           f"recall closed: released after investigation ({recall.reason})", today, recall_id=recall_id)
    recall.status, recall.disposition, recall.closed_at = "closed", disposition, utcnow()
    return recall


async def _dispose(ctx: Context, recall: Recall, lot_ids: list[str], today: date) -> None:
    """Write off what is left of the lots. Goods still allocated in them are released first
    (StockReleased with the reason) and their lines covered again in the fair order
    (priority, then age), as after a cancellation freed a lot."""
    session = ctx.session
    # Items first, then allocations and lots (the order every stock change uses). The lines to
    # cover again are found before the locks to know their items, and the allocations read
    # again under them: one made in these lots meanwhile is released too.
    skus = set((await session.execute(select(Lot.sku).where(Lot.lot_id.in_(lot_ids)))).scalars())
    again = await _lines_to_cover(session, await _allocated_lines(session, lot_ids))
    items = await lock_items(session, skus | again.skus)
    allocations = (
        await session.execute(
            select(Allocation)
            .where(Allocation.lot_id.in_(lot_ids), Allocation.quantity - Allocation.shipped - Allocation.released > 0)
            .order_by(Allocation.allocation_id).with_for_update(),
            execution_options={"populate_existing": True},
        )
    ).scalars().all()
    again = await _lines_to_cover(session, {(a.order_id, a.line_no) for a in allocations})
    items.update(await lock_items(session, again.skus - set(items)))  # rare: a line allocated meanwhile
    lots = await lock_lots(session, lot_ids)
    reason = f"lot disposed: recall {recall.recall_id} ({recall.reason})"
    released: dict[str, list[AllocationOut]] = {}
    for allocation in allocations:
        lot = lots[allocation.lot_id]
        quantity = await release_allocation(session, lot, allocation)
        if quantity > 0:
            released.setdefault(allocation.order_id, []).append(
                AllocationOut(allocation_id=allocation.allocation_id, line_no=allocation.line_no, sku=allocation.sku,
                              lot_id=lot.lot_id, lot_no=lot.lot_no, quantity=quantity,
                              unit=items[lot.sku].base_unit, expiry_date=lot.expiry_date)
            )
    reservations = (
        await session.execute(select(Reservation).where(Reservation.lot_id.in_(lot_ids), Reservation.status == "open"))
    ).scalars().all()
    for reservation in reservations:
        await release_reservation(session, lots[reservation.lot_id], reservation, reservation.open_quantity)
    for lot in lots.values():
        if lot.on_hand > 0:
            await post_movement(session, lot, "disposal", -lot.on_hand, note=reason)
    for order_id, out in released.items():
        await ctx.emit(StockReleased(order_id=order_id, allocations=out, reason=reason), correlation_id=order_id)
    await session.flush()
    covered = await resume(ctx, again, items, today)
    # Every order that lost goods hears its cumulative allocation, covered again or not.
    await emit_allocated(ctx, covered + sorted(released))


async def _allocated_lines(session: AsyncSession, lot_ids: list[str]) -> set[tuple[str, int]]:
    rows = await session.execute(
        select(Allocation.order_id, Allocation.line_no).where(
            Allocation.lot_id.in_(lot_ids), Allocation.quantity - Allocation.shipped - Allocation.released > 0
        )
    )
    return {(o, n) for o, n in rows}


async def _lines_to_cover(session: AsyncSession, pairs: set[tuple[str, int]]) -> Resumable:
    """The open lines of live orders among `pairs`, in the fair order, with every item
    covering them may touch (their products and the products' materials)."""
    if not pairs:
        return Resumable([], set())
    rows = (
        await session.execute(
            select(DemandLine.order_id, DemandLine.line_no, DemandLine.sku)
            .join(OrderDemand, OrderDemand.order_id == DemandLine.order_id)
            .where(DemandLine.order_id.in_({o for o, _ in pairs}), DemandLine.status == "open",
                   OrderDemand.cancelled_at.is_(None))
            .order_by(OrderDemand.priority.desc(), OrderDemand.placed_at, DemandLine.order_id, DemandLine.line_no)
        )
    ).all()
    rows = [r for r in rows if (r[0], r[1]) in pairs]
    products = {sku for _, _, sku in rows}
    recipes = (await session.execute(select(RecipeReplica).where(RecipeReplica.sku.in_(products)))).scalars().all()
    return Resumable([(o, n) for o, n, _ in rows], products | {i["sku"] for r in recipes for i in r.ingredients})
