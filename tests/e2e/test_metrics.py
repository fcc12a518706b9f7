"""What an operator's Prometheus sees of one order: every service and the gateway answer
/metrics without an API key, the order is counted once per hop, and the system drains back
to an empty outbox and no consumer lag."""

from __future__ import annotations

import httpx
import pytest

from flows import item, place, receive, tag, wait_status
from harness import client, poll
from scrape import scrape, scrape_all, total

pytestmark = pytest.mark.e2e


def delta(before, after, service: str, name: str, **labels: str) -> float:
    return total(after.get(service, []), name, **labels) - total(before.get(service, []), name, **labels)


async def test_one_order_as_the_metrics_tell_it(system):
    t = tag()
    async with client(system) as c:
        fg = f"METRIC-{t}"
        await item(c, fg, "finished", "pcs")
        await receive(c, fg, "5", "pcs")
        before = await scrape_all(system)
        order_id = await place(c, [(fg, "2", "pcs")])
        await wait_status(c, order_id, "ready_to_ship")

    async def drained():
        # The saga's events are all published and consumed: nothing waits in any outbox,
        # no instance is behind on any partition it owns.
        now = await scrape_all(system)
        backlog = {n: total(i, "batchflow_outbox_backlog") for n, i in now.items() if n != "gateway"}
        lag = {n: total(i, "batchflow_consumer_lag") for n, i in now.items() if n != "gateway"}
        return now if not any(backlog.values()) and not any(lag.values()) else None

    after = await poll(drained, deadline=60, what="every outbox empty and every consumer caught up")

    # The operator's request, once at the gateway and once at orders (route templates, not ids).
    assert delta(before, after, "gateway", "batchflow_http_requests_total",
                 method="POST", route="/api/orders", status="201") == 1
    assert delta(before, after, "orders", "batchflow_http_requests_total",
                 method="POST", route="/orders", status="201") == 1

    # OrderPlaced applied exactly once by each service that consumes it, across its instances.
    placed = {n: delta(before, after, n, "batchflow_events_handled_total", event_type="OrderPlaced", outcome="applied")
              for n in after}
    consumers = {n for n, v in placed.items() if v}
    assert {"inventory", "shipping"} <= consumers, placed
    assert all(placed[n] == 1 for n in consumers), placed
    assert delta(before, after, "inventory", "batchflow_handler_duration_seconds_count", event_type="OrderPlaced") == 1
    # The allocation went out through inventory's relay and reached shipping.
    assert delta(before, after, "inventory", "batchflow_outbox_published_total") >= 1
    assert delta(before, after, "shipping", "batchflow_events_handled_total",
                 event_type="OrderAllocated", outcome="applied") == 1
    for n in after:
        assert delta(before, after, n, "batchflow_dead_letters_total") == 0, f"{n} dead-lettered during one good order"
        assert delta(before, after, n, "batchflow_events_handled_total", event_type="OrderPlaced",
                     outcome="dead_lettered") == 0
    # Lag is reported per partition an instance owns (topic and partition labels).
    lag_series = [ls for s in after["inventory"] for (name, ls) in s if name == "batchflow_consumer_lag"]
    assert any(dict(ls)["topic"].endswith("orders.order-placed.v1") for ls in lag_series), lag_series


async def test_metrics_need_no_api_key_but_the_api_does(system):
    async with httpx.AsyncClient(base_url=system.gateway, timeout=10) as anonymous:
        assert (await anonymous.get("/api/orders")).status_code == 401
    samples = await scrape(system.gateway)
    assert any(name == "batchflow_http_requests_total" and dict(ls)["status"] == "401" for name, ls in samples)
