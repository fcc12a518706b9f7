"""Malformed events on every topic a service consumes: each is dead-lettered once per
consuming group with the reason, the partition keeps flowing, and no service dies.

Per topic, on one key (so one partition), in this order:
- bytes that are not an envelope: not JSON, empty, a tombstone (no value), JSON that is not
  an object, an object that lacks the envelope's fields;
- an envelope whose `data` breaks the event's model: the key field missing, and the valid
  body with its quantities negative, line numbers 0, flags and timestamps unreadable;
- an envelope of an unknown event type, and one of a newer major version of the topic's event;
- then one valid event that its consumers handle without touching anything of other tests
  (about an order, batch, SKU... nobody else uses).

Then, for every group consuming the topic (as each service's bootstrap wires its handlers):
its committed offset passes the valid event; `<topic>.dlt` holds each malformed message
exactly once for it (`dlt.consumer.group`), with `dlt.error.message` and
`dlt.original.offset` pointing at the message; the valid event is not there; every service
process is still running.
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts import events as ev
from contracts.envelope import Envelope
from contracts.events.base import Customer, OrderLine
from contracts.events.inventory import RecalledLot
from contracts.events.production import Ingredient
from contracts.events.purchasing import PurchaseOrderLine
from contracts.events.shipping import ShippedLine
from contracts.topics import TOPICS, Topic, topic_for
from contracts.units import Unit
from devstack.services import SERVICES
from devstack.waiting import poll
from eventkit.topic_reader import read_to_end

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def consumers() -> dict[str, list[str]]:
    """Registry topic name -> the services consuming it, read from each service's bootstrap
    (building a Service does no I/O), so a handler added later is fuzzed too."""
    out: dict[str, list[str]] = defaultdict(list)
    for spec in SERVICES:
        if spec.database is None:  # the gateway consumes nothing
            continue
        settings = importlib.import_module(f"{spec.module}.settings").Settings()
        service = importlib.import_module(f"{spec.module}.bootstrap").build(settings)
        for event_cls in service.handlers:
            out[topic_for(event_cls).name].append(spec.name)
    return {name: sorted(names) for name, names in out.items()}


CONSUMERS = consumers()
CONSUMED = [t for t in TOPICS if t.name in CONSUMERS]


# -- one harmless valid event per event type ---------------------------------------------------
def harmless(event_type: str, u: str) -> ev.Event:
    """A valid event about things only this test knows (order, batch, SKU, shipment ids made
    from `u`): consumers record it, park it, or find nothing to do."""
    now, today = datetime.now(timezone.utc), date.today()
    order_id, sku, batch_id = f"FZ-EV-ORD-{u}", f"FZ-EV-{u}", f"FZ-EV-BATCH-{u}"
    customer = Customer(name="Fuzz Events", email="fuzz-events@example.com")
    one = Decimal(1)
    lines = [OrderLine(line_no=1, sku=sku, quantity=one, unit=Unit.pcs)]
    shipment = str(uuid.uuid4())
    make = {
        "OrderPlaced": lambda: ev.OrderPlaced(order_id=order_id, order_no=f"SO-FZ-{u}", customer=customer,
                                              lines=lines, placed_at=now),
        "OrderCancelled": lambda: ev.OrderCancelled(order_id=order_id, reason="fuzz", cancelled_at=now),
        "PromiseChanged": lambda: ev.PromiseChanged(order_id=order_id, order_no=f"SO-FZ-{u}", promised_date=today,
                                                    expected_date=today, previous_expected_date=today,
                                                    reason="fuzz"),
        "ChannelOrderReceived": lambda: ev.ChannelOrderReceived(
            order_id=order_id, channel="shopify", shop=f"fuzz-{u}", external_order_id=u, customer=customer,
            lines=lines, received_at=now),
        "ChannelOrderCancelled": lambda: ev.ChannelOrderCancelled(
            order_id=order_id, channel="shopify", shop=f"fuzz-{u}", external_order_id=u, reason="fuzz",
            cancelled_at=now),
        "ItemDefined": lambda: ev.ItemDefined(sku=sku, name="fuzz item", kind="finished", base_unit=Unit.pcs,
                                              sellable=True),
        "MaterialsReserved": lambda: ev.MaterialsReserved(
            order_id=order_id, line_no=1, plan_id=batch_id, sku=sku, quantity_promised=one, batch_quantity=one,
            unit=Unit.pcs, recipe_version=1, lead_time_days=1),
        "MaterialsShort": lambda: ev.MaterialsShort(order_id=order_id, line_no=1, sku=sku, quantity=one,
                                                    unit=Unit.pcs, reason="no recipe"),
        "OrderAllocated": lambda: ev.OrderAllocated(order_id=order_id, allocations=[], fully_allocated=False),
        "StockReleased": lambda: ev.StockReleased(order_id=order_id, reason="fuzz"),
        "RecipePublished": lambda: ev.RecipePublished(
            sku=sku, name="fuzz recipe", recipe_version=1, output_unit=Unit.pcs,
            ingredients=[Ingredient(sku=f"FZ-EV-MAT-{u}", quantity=one, unit=Unit.g)],
            batch_min=one, batch_multiple=one, expected_yield=one, lead_time_days=1),
        "BatchScheduled": lambda: ev.BatchScheduled(batch_id=batch_id, batch_no=f"B-FZ-{u}", sku=sku,
                                                    planned_quantity=one, unit=Unit.pcs, planned_start=today,
                                                    planned_end=today),
        "BatchStarted": lambda: ev.BatchStarted(batch_id=batch_id, batch_no=f"B-FZ-{u}", sku=sku, started_at=now),
        "BatchCompleted": lambda: ev.BatchCompleted(
            batch_id=batch_id, batch_no=f"B-FZ-{u}", sku=sku, planned_quantity=one, output_quantity=Decimal(0),
            waste_quantity=Decimal(0), unit=Unit.pcs, completed_at=now),
        "BatchCancelled": lambda: ev.BatchCancelled(batch_id=batch_id, batch_no=f"B-FZ-{u}", sku=sku,
                                                    reason="fuzz", cancelled_at=now),
        "Shipped": lambda: ev.Shipped(
            order_id=order_id, shipment_id=shipment, carrier="DHL", tracking_no=f"TRK-FZ-{u}", shipped_at=now,
            lines=[ShippedLine(sku=sku, lot_id=str(uuid.uuid4()), lot_no=f"L-FZ-{u}", quantity=one, unit=Unit.pcs,
                               line_no=1, allocation_id=str(uuid.uuid4()))]),
        "Delivered": lambda: ev.Delivered(order_id=order_id, shipment_id=shipment, delivered_at=now),
        "ShipmentWithdrawn": lambda: ev.ShipmentWithdrawn(order_id=order_id, shipment_id=shipment, reason="fuzz",
                                                          withdrawn_at=now),
        # A receipt against, and purchase orders about, a PO nobody has: recorded or nothing to do.
        "GoodsReceived": lambda: ev.GoodsReceived(
            lot_id=str(uuid.uuid4()), lot_no=f"L-FZ-{u}", sku=sku, quantity=one, unit=Unit.pcs, base_quantity=one,
            base_unit=Unit.pcs, received_date=today, purchase_order_id=f"FZ-EV-PO-{u}", po_line=1),
        "PurchaseOrderPlaced": lambda: ev.PurchaseOrderPlaced(
            purchase_order_id=f"FZ-EV-PO-{u}", po_no=f"PO-FZ-{u}", supplier_id=f"FZ-SUP-{u}", supplier_name="Fuzz",
            lines=[PurchaseOrderLine(line_no=1, material_sku=sku, quantity=one, unit=Unit.pcs, expected_date=today)],
            sent_at=now),
        "PurchaseOrderCancelled": lambda: ev.PurchaseOrderCancelled(
            purchase_order_id=f"FZ-EV-PO-{u}", po_no=f"PO-FZ-{u}", reason="fuzz", cancelled_at=now),
        # Holds and recalls about a lot and orders nobody has: remembered or nothing to do.
        "LotHeld": lambda: ev.LotHeld(lot_id=f"FZ-EV-LOT-{u}", lot_no=f"L-FZ-{u}", sku=sku, reason="fuzz",
                                      hold_seq=1, held_at=now, orders=[order_id]),
        "LotReleased": lambda: ev.LotReleased(lot_id=f"FZ-EV-LOT-{u}", lot_no=f"L-FZ-{u}", sku=sku, reason="fuzz",
                                              hold_seq=2, released_at=now, orders=[order_id]),
        "RecallOpened": lambda: ev.RecallOpened(
            recall_id=f"FZ-EV-RC-{u}", lot_id=f"FZ-EV-LOT-{u}", lot_no=f"L-FZ-{u}", sku=sku, reason="fuzz", opened_at=now,
            lots=[RecalledLot(lot_id=f"FZ-EV-LOT-{u}", lot_no=f"L-FZ-{u}", sku=sku)]),
        # Make to stock: a crossing already answered by a batch (purchasing has nothing to buy),
        # and a batch for stock of an item nobody orders (production queues it).
        "ReorderPointReached": lambda: ev.ReorderPointReached(
            replenishment_id=f"FZ-EV-RP-{u}", sku=sku, item_kind="finished", unit=Unit.pcs, on_hand_free=Decimal(0),
            open_supply=Decimal(0), reorder_point=one, target=one, quantity=one, rule="min_max", action="batch",
            status="planned", plan_id=f"FZ-EV-STOCK-{u}", reached_at=now),
        "ReplenishmentPlanned": lambda: ev.ReplenishmentPlanned(
            replenishment_id=f"FZ-EV-RP-{u}", plan_id=f"FZ-EV-STOCK-{u}", sku=sku, batch_quantity=one, unit=Unit.pcs,
            recipe_version=1, lead_time_days=1, planned_at=now),
    }
    return make[event_type]()


# -- the malformed messages --------------------------------------------------------------------
def envelope(topic: Topic, data: dict, *, event_type: str | None = None, version: int | None = None,
             key: str = "") -> bytes:
    return Envelope(event_type=event_type or topic.event.event_type, version=version or topic.event.version,
                    producer=topic.producer, correlation_id=key or "fuzz", data=data).to_bytes()


def broken(value):
    """The valid body with its quantities negative, its line numbers 0, its flags and
    timestamps unreadable: each alone violates the model."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if "quantity" in k and isinstance(v, str):
                out[k] = "-" + v
            elif k == "line_no":
                out[k] = 0
            elif isinstance(v, bool):
                out[k] = "sometimes"
            elif k.endswith("_at") or k.endswith("_start") or k.endswith("_end"):
                out[k] = "not a time"
            else:
                out[k] = broken(v)
        return out
    if isinstance(value, list):
        return [broken(v) for v in value]
    return value


def malformed(topic: Topic, body: dict, key: str) -> list[tuple[str, bytes | None]]:
    bad = broken(body)
    if bad == body:  # nothing of the above in this body: its key cannot be null either
        bad = {**body, topic.event.key_field: None}
    keyless = {k: v for k, v in body.items() if k != topic.event.key_field}
    return [
        ("not JSON", b"\xff\xfe{this is not json"),
        ("empty", b""),
        ("tombstone", None),
        ("JSON, not an object", b"[1, 2, 3]"),
        ("object without envelope fields", json.dumps({"event_type": topic.event.event_type, "data": body}).encode()),
        ("data without its key field", envelope(topic, keyless, key=key)),
        ("data with negative quantities / bad values", envelope(topic, bad, key=key)),
        ("unknown event type", envelope(topic, body, event_type="FuzzNoSuchEvent", key=key)),
        ("newer major version", envelope(topic, body, version=topic.event.version + 98, key=key)),
    ]


# -- Kafka helpers -----------------------------------------------------------------------------
async def committed(bootstrap: str, group: str, tp: TopicPartition) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group, partitions=[tp])
    finally:
        await admin.close()
    meta = offsets.get(tp)
    return meta.offset if meta is not None else -1


def header(record, name: str) -> str | None:
    for k, v in record.headers or []:
        if k == name:
            return v.decode("utf-8", "replace") if v is not None else None
    return None


@pytest.mark.parametrize("topic", CONSUMED, ids=lambda t: t.name)
async def test_malformed_events_are_dead_lettered_once_per_group_and_the_partition_flows(system, topic):
    stack = system.stack
    name = stack.topic(topic.name)
    groups = {f"{stack.topic_prefix}.{svc}": svc for svc in CONSUMERS[topic.name]}
    u = uuid.uuid4().hex[:10].upper()
    event = harmless(topic.event.event_type, u)
    key = event.key()
    body = event.model_dump(mode="json")
    messages = malformed(topic, body, key)

    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
    await producer.start()
    try:
        sent: dict[int, tuple[str, bytes | None]] = {}
        partitions = set()
        for label, value in messages:
            meta = await producer.send_and_wait(name, value, key=key.encode())
            sent[meta.offset] = (label, value)
            partitions.add(meta.partition)
        good = Envelope(event_type=topic.event.event_type, version=topic.event.version, producer=topic.producer,
                        correlation_id=key, data=body)
        last = await producer.send_and_wait(name, good.to_bytes(), key=key.encode(),
                                            headers=[("event_type", topic.event.event_type.encode()),
                                                     ("event_id", str(good.event_id).encode())])
        partitions.add(last.partition)
    finally:
        await producer.stop()
    assert len(partitions) == 1, f"one key, one partition: {partitions}"
    tp = TopicPartition(name, last.partition)

    # Not stuck: every consuming group commits past the valid event that follows the bad ones.
    for group, svc in groups.items():
        await poll(lambda g=group: _past(stack.bootstrap, g, tp, last.offset), deadline=60,
                   what=f"{svc} ({group}) to commit past offset {last.offset} of {tp.topic}[{tp.partition}]")

    # The offset is committed only after the dead letter was stored: all are there now.
    dead = [r for r in await read_to_end(stack.bootstrap, [f"{name}.dlt"])
            if header(r, "dlt.original.partition") == str(tp.partition)
            and int(header(r, "dlt.original.offset") or -1) in (*sent, last.offset)]
    per = Counter((int(header(r, "dlt.original.offset")), header(r, "dlt.consumer.group")) for r in dead)
    expected = Counter({(offset, group): 1 for offset in sent for group in groups})
    assert per == expected, _explain(per, expected, sent, last.offset, dead)
    for r in dead:
        offset = int(header(r, "dlt.original.offset"))
        assert header(r, "dlt.original.topic") == name
        assert header(r, "dlt.error.message"), f"no reason for {sent[offset][0]!r}"
        assert r.value == sent[offset][1] and r.key == key.encode(), f"{sent[offset][0]!r} not kept as sent"

    dead_procs = [p.name for ps in system.procs.values() for p in ps if not p.running]
    assert not dead_procs, f"service processes died: {dead_procs}"


async def _past(bootstrap: str, group: str, tp: TopicPartition, offset: int) -> bool:
    return await committed(bootstrap, group, tp) > offset


def _explain(per: Counter, expected: Counter, sent: dict, last: int, dead: list) -> str:
    label = {**{o: lv[0] for o, lv in sent.items()}, last: "the valid event"}
    missing = [(label[o], g) for (o, g) in expected - per]
    extra = [(label[o], g, n) for (o, g), n in (per - expected).items()]
    reasons = {(label[int(header(r, 'dlt.original.offset'))], header(r, 'dlt.consumer.group')):
               header(r, "dlt.error.message") for r in dead}
    return f"not dead-lettered: {missing}; unexpected or repeated: {extra}; reasons: {reasons}"
