"""OTLP export: a system whose only span destination is an OTLP/HTTP endpoint (a receiver this
test starts, standing in for a collector) delivers one trace per order, from the operator's
request at the gateway over HTTP to orders and over Kafka through inventory, production and
shipping."""

from __future__ import annotations

import pytest

from devstack._util import free_port
from devstack.system import System
from flows import batches_of, item, place, produce, receive, recipe, recipe_replicated, ship, tag, wait_status
from harness import client, poll
from otlp_receiver import OtlpReceiver, ReceivedSpan

pytestmark = pytest.mark.e2e


def _outline(spans: list[ReceivedSpan]) -> str:
    """The trace as `service kind name <- parent`, for a failure message."""
    names = {s.span_id: f"{s.service}:{s.name}" for s in spans}
    return "\n".join(f"{s.service} {s.kind.removeprefix('SPAN_KIND_')} {s.name} <- {names.get(s.parent_id, s.parent_id)}"
                     for s in spans)


@pytest.fixture(scope="module")
async def traced(stack, tmp_path_factory):
    """The whole system on a namespace of its own, exporting spans by OTLP only (no span
    files), through the standard OpenTelemetry variable every process reads."""
    receiver = OtlpReceiver(free_port()).start()
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
           # The batch processor's standard knob: spans leave within 0.2 s instead of 5 s.
           "OTEL_BSP_SCHEDULE_DELAY": "200"}
    system = System(stack.namespace("otlp"), tmp_path_factory.mktemp("otlp-system"), spans=False, extra_env=env)
    try:
        await system.start()
        yield system, receiver
    finally:
        system.stop()
        receiver.stop()


async def test_an_order_is_one_trace_from_the_gateway_through_every_hop(traced):
    system, receiver = traced
    t = tag()
    async with client(system) as c:
        fg, wax = f"OTLP-{t}", f"OTLPWAX-{t}"
        await item(c, fg, "finished", "pcs", shelf_life_days=365)
        await item(c, wax, "raw", "kg")
        await receive(c, wax, "5", "kg")
        await recipe(c, fg, [(wax, "10", "g")])
        await recipe_replicated(c, fg, [wax])
        order_id = await place(c, [(fg, "20", "pcs")])
        [batch] = await batches_of(c, order_id)
        await produce(c, batch["batch_id"])
        await wait_status(c, order_id, "ready_to_ship")
        await ship(c, order_id)
        await wait_status(c, order_id, "shipped")

    hops = {"gateway", "orders", "inventory", "production", "shipping"}

    def the_orders_trace() -> list[ReceivedSpan] | None:
        spans = list(receiver.spans)
        traces = {s.trace_id for s in spans if s.attributes.get("batchflow.correlation_id") == order_id}
        if len(traces) != 1:
            return None if len(traces) == 0 else spans  # more than one: fail below, with the spans
        (trace_id,) = traces
        mine = [s for s in spans if s.trace_id == trace_id]
        shipped = any(s.service == "orders" and s.name.startswith("Shipped") for s in mine)
        # Each process exports in batches on its own clock: wait until every parent arrived too
        # (a parent that never comes fails the poll, with the spans named in the message).
        ids = {s.span_id for s in mine}
        complete = all(s.parent_id is None or s.parent_id in ids for s in mine)
        return mine if hops <= {s.service for s in mine} and shipped and complete else None

    mine = await poll(the_orders_trace, deadline=30, what=f"the spans of order {order_id} at the receiver")
    assert len({s.trace_id for s in mine}) == 1, "every span about the order is in one trace"

    # The trace starts at the operator's request and crosses into orders over HTTP.
    (root,) = [s for s in mine if s.parent_id is None]
    assert (root.service, root.name, root.kind) == ("gateway", "POST /api/orders", "SPAN_KIND_SERVER")
    by_id = {s.span_id: s for s in mine}
    called = [s for s in mine if s.service == "orders" and s.kind == "SPAN_KIND_SERVER" and s.name == "POST /orders"]
    assert [by_id[s.parent_id].service for s in called if s.parent_id in by_id] == ["gateway"], _outline(mine)

    # ... and over Kafka: each consuming hop continues it (event type, topic).
    consumed = {(s.service, s.name.removesuffix(" process")) for s in mine if s.kind == "SPAN_KIND_CONSUMER"}
    for hop in [("inventory", "OrderPlaced"), ("production", "MaterialsReserved"), ("inventory", "BatchCompleted"),
                ("shipping", "OrderAllocated"), ("orders", "Shipped")]:
        assert hop in consumed, f"{hop} not in the order's trace: {sorted(consumed)}"
    assert all(s.parent_id in by_id for s in mine if s is not root), "no span of the trace hangs from a lost parent"
