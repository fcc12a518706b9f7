"""Reading the running system's Prometheus metrics as an operator's scraper would: every
instance's `/metrics`, no API key, parsed with prometheus_client's own parser."""

from __future__ import annotations

from collections import defaultdict

import httpx
from prometheus_client.parser import text_string_to_metric_families

from devstack.system import System

# {(sample name, sorted label items): value}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(url + "/metrics")
    assert r.status_code == 200, f"{url}/metrics: {r.status_code} {r.text[:200]}"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


async def scrape_all(system: System) -> dict[str, list[Samples]]:
    """Every running instance's samples, by service."""
    out: dict[str, list[Samples]] = defaultdict(list)
    for name, procs in system.procs.items():
        for p in procs:
            if p.running:
                out[name].append(await scrape(f"http://127.0.0.1:{p.http_port}"))
    return dict(out)


def total(instances: list[Samples], name: str, **labels: str) -> float:
    """Sum of `name` over a service's instances and every series matching `labels`."""
    return sum(v for s in instances for (n, ls), v in s.items()
               if n == name and labels.items() <= dict(ls).items())
