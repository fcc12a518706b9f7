"""A simulated shop floor for demos and the benchmark: it does, through the gateway, what the
operators would — starts every planned batch, completes it with the planned output (the
reserved lots consumed as reserved), and ships every prepared shipment with a made-up
tracking number. It acts as soon as it sees work, so saga latency measured with it running
is the system's own, not people's."""

from __future__ import annotations

import asyncio
import itertools
import logging

import httpx

log = logging.getLogger("devstack.floor")


async def _queue(client: httpx.AsyncClient, path: str, status: str) -> list[dict]:
    """A work queue from the gateway; empty while the gateway or the service behind it is
    down (the floor carries on when it is back)."""
    r = await client.get(path, params={"status": status})
    if r.status_code != 200:
        return []
    body = r.json()
    items = body["items"] if isinstance(body, dict) and "items" in body else body
    return items if isinstance(items, list) else []


class ShopFloor:
    def __init__(self, gateway_url: str, api_key: str = "dev-operator-key", interval: float = 0.1):
        self._client = httpx.AsyncClient(base_url=gateway_url, headers={"X-API-Key": api_key}, timeout=30)
        self._interval = interval
        self._tracking = itertools.count(1)
        self.batches_done = 0
        self.shipments_done = 0

    async def close(self) -> None:
        await self._client.aclose()

    async def step(self) -> int:
        """One pass over the queues; returns how many things it did."""
        done = 0
        for batch in await _queue(self._client, "/api/batches", "planned"):
            done += await self._produce(batch)
        # A batch left started (the floor or the gateway went down between the two steps)
        # is finished, as an operator would.
        for batch in await _queue(self._client, "/api/batches", "started"):
            done += await self._complete(batch)
        for shipment in await _queue(self._client, "/api/shipments", "prepared"):
            done += await self._ship(shipment)
        return done

    async def _produce(self, batch: dict) -> int:
        bid = batch["batch_id"]
        r = await self._client.post(f"/api/batches/{bid}/start")
        if r.status_code not in (200, 409):  # 409: someone else started it first
            log.warning("floor: start %s: %s %s", batch["batch_no"], r.status_code, r.text)
            return 0
        return await self._complete(batch)

    async def _complete(self, batch: dict) -> int:
        bid = batch["batch_id"]
        r = await self._client.post(f"/api/batches/{bid}/complete", json={"output_quantity": batch["planned_quantity"]})
        if r.status_code == 200:
            self.batches_done += 1
            return 1
        if r.status_code != 409:
            log.warning("floor: complete %s: %s %s", batch["batch_no"], r.status_code, r.text)
        return 0

    async def _ship(self, shipment: dict) -> int:
        tracking = f"SIM{next(self._tracking):08d}"
        r = await self._client.post(
            f"/api/shipments/{shipment['shipment_id']}/ship", json={"carrier": "Local courier", "tracking_no": tracking}
        )
        if r.status_code == 200:
            self.shipments_done += 1
            return 1
        if r.status_code != 409:
            log.warning("floor: ship %s: %s %s", shipment["shipment_id"], r.status_code, r.text)
        return 0

    async def run(self, stop: asyncio.Event) -> None:
        down = False
        while not stop.is_set():
            try:
                did = await self.step()
                if down:
                    log.warning("floor: gateway back")
                down = False
            except (httpx.HTTPError, ValueError) as exc:  # unreachable, or a half-written answer
                if not down:  # once per outage, not once per poll
                    log.warning("floor: gateway unavailable (%s)", exc or type(exc).__name__)
                down, did = True, 0
            if not did:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self._interval)
                except asyncio.TimeoutError:
                    pass
