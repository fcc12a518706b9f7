"""A probe service's /metrics after the things an operator watches for: an event applied, the
same event delivered again, a poison message retried and dead-lettered, a message nobody can
decode, and an outbox row the relay had to park."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from devstack.waiting import poll
from probe_rig import placed_envelope

pytestmark = pytest.mark.integration

_INSERT = "INSERT INTO outbox (event_id, topic, key, payload) VALUES ($1, $2, $3, $4)"


async def _metrics(url: str) -> dict[tuple[str, frozenset], float]:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{url}/metrics")).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_the_outcomes_of_delivery_and_the_outbox_are_counted(rig):
    probe = await rig.start("a", PROBE_RELAY_MAX_REQUEST_SIZE="100000")  # PROBE_MAX_ATTEMPTS=3
    good = placed_envelope("o-good").to_bytes()
    await rig.produce("k1", good)
    await rig.produce("k1", good)  # redelivered: same event id
    await rig.produce("k2", placed_envelope("o-poison", customer="POISON").to_bytes())
    await rig.produce("k3", b"not an envelope")
    conn = await asyncpg.connect(rig.db.dsn)
    try:
        await conn.execute(_INSERT, uuid.uuid4(), rig.topic, "big", b"x" * 200_000)  # over the relay's limit
    finally:
        await conn.close()

    want = {
        ("batchflow_events_handled_total", "OrderPlaced", "applied"): 1,
        ("batchflow_events_handled_total", "OrderPlaced", "duplicate"): 1,
        ("batchflow_events_handled_total", "OrderPlaced", "retried"): 2,  # attempts 1 and 2 of 3
        ("batchflow_events_handled_total", "OrderPlaced", "dead_lettered"): 1,
        ("batchflow_events_handled_total", "undecodable", "dead_lettered"): 1,
    }

    seen: dict = {}

    async def settled():
        s = await _metrics(probe.url)
        seen["outcomes"] = {k: _value(s, k[0], event_type=k[1], outcome=k[2]) for k in want}
        seen["lag"] = [v for (n, _), v in s.items() if n == "batchflow_consumer_lag"]
        seen["parked"] = _value(s, "batchflow_outbox_parked_rows")
        done = seen["outcomes"] == want and seen["parked"] == 1 and seen["lag"] and not any(seen["lag"])
        return s if done else None

    try:
        s = await poll(settled, deadline=60, what="the probe's metrics to show every outcome")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen {seen}") from None
    assert _value(s, "batchflow_dead_letters_total", topic=rig.topic) == 2
    assert _value(s, "batchflow_handler_duration_seconds_count", event_type="OrderPlaced") == 1
    assert _value(s, "batchflow_outbox_parked_total") == 1
    assert _value(s, "batchflow_outbox_backlog") == 0 and _value(s, "batchflow_outbox_oldest_unpublished_age_seconds") == 0
    # The two dead letters really are on the DLT (the counter is not merely hopeful).
    assert len(await rig.read_all(rig.dlt, min_count=2)) == 2


async def test_an_unpublished_row_shows_as_backlog_with_its_age(rig):
    probe = await rig.start("a", PROBE_RELAY_ENABLED="false")
    conn = await asyncpg.connect(rig.db.dsn)
    try:
        await conn.execute("INSERT INTO outbox (event_id, topic, key, payload, created_at) "
                           "VALUES ($1, $2, 'k', $3, now() - interval '90 seconds')",
                           uuid.uuid4(), rig.topic, placed_envelope("o-waiting").to_bytes())
    finally:
        await conn.close()
    s = await _metrics(probe.url)
    assert _value(s, "batchflow_outbox_backlog") == 1
    assert 90 <= _value(s, "batchflow_outbox_oldest_unpublished_age_seconds") < 600
