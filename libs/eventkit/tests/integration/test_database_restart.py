"""Pooled connections are not pinged before use (a round trip on every event and request).
After a PostgreSQL restart the first statement on a stale connection fails: the request gets a
503 the caller may retry (never a 500), the pool is renewed, and the service answers again;
an event that arrives meanwhile is retried and applied once."""

from __future__ import annotations

import httpx
import pytest

from devstack.waiting import poll
from probe_rig import applied_is, placed_envelope

pytestmark = pytest.mark.integration


async def test_a_database_restart_costs_a_503_at_most_and_no_event(rig, stack):
    probe = await rig.start("a")
    async with httpx.AsyncClient(timeout=30) as http:
        assert (await http.post(f"{probe.url}/emit/o-warm")).status_code == 200  # the pool holds connections
        await poll(lambda: applied_is(rig, "o-warm", 1), what="o-warm applied")

        stack.postgres.stop()
        try:
            down = await http.post(f"{probe.url}/emit/o-down")
            assert down.status_code == 503, down.text
            assert "database unavailable" in down.json()["detail"]
            assert down.headers["retry-after"] == "1"
        finally:
            stack.postgres.start()

        statuses: list[int] = []

        async def answers():
            r = await http.post(f"{probe.url}/emit/o-after")
            statuses.append(r.status_code)
            return r.status_code == 200

        await poll(answers, deadline=30, what="the probe answering after the restart")
        assert set(statuses) <= {200, 503}, statuses
    await rig.produce("k-restart", placed_envelope("o-event").to_bytes())
    await poll(lambda: applied_is(rig, "o-event", 1), deadline=60, what="an event applied after the restart")
    await poll(lambda: applied_is(rig, "o-after", 1), deadline=60, what="the emitted order applied")
