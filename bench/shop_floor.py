"""A concurrent simulated shop floor for the saga benchmark: several workers start and complete
planned batches and ship prepared shipments through the gateway at the same time, as a floor
with several operators would. (devstack's ShopFloor, for demos, does one thing at a time; in a
benchmark that serial loop would be the bottleneck being measured.)

One scout reads the work queues and hands each item to exactly one worker; an item stays
claimed until its worker is done with it, so two workers never race on one batch, and an item
whose call failed is offered again on the next look.

The scout looks every `interval` seconds (a quarter of a second: a floor screen that refreshes
itself), not in a tight loop: its three list requests go through the gateway to production and
shipping, and looking ten times a second made the benchmark's own polling a large share of
what it charged to each order. The looks are counted and printed with the results."""

from __future__ import annotations

import asyncio
import itertools
import logging

import httpx

log = logging.getLogger("bench.floor")


class ConcurrentFloor:
    def __init__(self, gateway_url: str, workers: int = 8, api_key: str = "dev-operator-key", interval: float = 0.25):
        self._client = httpx.AsyncClient(base_url=gateway_url, headers={"X-API-Key": api_key}, timeout=60,
                                         limits=httpx.Limits(max_connections=workers + 4))
        self._workers = workers
        self._interval = interval
        self._tracking = itertools.count(1)
        self._claimed: set[str] = set()
        # Done for good: a queue read before the work finished may still list it.
        self._finished: set[str] = set()
        self.batches_done = 0
        self.shipments_done = 0
        self.refused = 0
        self.looks = 0

    async def close(self) -> None:
        await self._client.aclose()

    async def _queue(self, path: str, status: str) -> list[dict]:
        r = await self._client.get(path, params={"status": status})
        if r.status_code != 200:
            return []
        body = r.json()
        items = body["items"] if isinstance(body, dict) and "items" in body else body
        return items if isinstance(items, list) else []

    async def run(self, stop: asyncio.Event) -> None:
        work: asyncio.Queue = asyncio.Queue()
        workers = [asyncio.create_task(self._work(work)) for _ in range(self._workers)]
        try:
            while not stop.is_set():
                self.looks += 1
                try:
                    planned, started, prepared = await asyncio.gather(
                        self._queue("/api/batches", "planned"), self._queue("/api/batches", "started"),
                        self._queue("/api/shipments", "prepared"))
                except httpx.HTTPError as exc:
                    log.warning("floor: gateway unavailable (%s)", exc)
                    planned = started = prepared = []
                for kind, items, key in (("start", planned, "batch_id"), ("complete", started, "batch_id"),
                                         ("ship", prepared, "shipment_id")):
                    for item in items:
                        if item[key] in self._claimed or item[key] in self._finished:
                            continue
                        self._claimed.add(item[key])
                        work.put_nowait((kind, item))
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self._interval)
                except asyncio.TimeoutError:
                    pass
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _work(self, work: asyncio.Queue) -> None:
        while True:
            kind, item = await work.get()
            key = item.get("batch_id") or item.get("shipment_id")
            try:
                if kind == "start":
                    r = await self._client.post(f"/api/batches/{key}/start")
                    if r.status_code in (200, 409):  # 409: it was started already
                        await self._complete(item)
                    else:
                        self._refusal("start", key, r)
                elif kind == "complete":
                    await self._complete(item)
                else:
                    r = await self._client.post(f"/api/shipments/{key}/ship",
                                                json={"carrier": "Local courier", "tracking_no": f"SIM{next(self._tracking):08d}"})
                    if r.status_code == 200:
                        self.shipments_done += 1
                        self._finished.add(key)
                    else:
                        self._refusal("ship", key, r)
            except httpx.HTTPError as exc:
                log.warning("floor: %s %s: %s", kind, key, exc)
            finally:
                self._claimed.discard(key)

    async def _complete(self, batch: dict) -> None:
        r = await self._client.post(f"/api/batches/{batch['batch_id']}/complete",
                                    json={"output_quantity": batch["planned_quantity"]})
        if r.status_code == 200:
            self.batches_done += 1
            self._finished.add(batch["batch_id"])
        else:
            self._refusal("complete", batch["batch_id"], r)

    def _refusal(self, what: str, key: str, r: httpx.Response) -> None:
        self.refused += 1
        if r.status_code != 409:
            log.warning("floor: %s %s: %s %s", what, key, r.status_code, r.text[:300])
