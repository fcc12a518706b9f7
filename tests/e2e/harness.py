"""Helpers of the end-to-end tests: drive the running system (devstack.system.System: every
service as its own process, a real SMTP listener) through the gateway and wait, with
deadlines, for the saga to get somewhere."""

from __future__ import annotations

import json
from typing import Any

import httpx

from devstack.system import System
from devstack.waiting import poll  # noqa: F401 - re-exported for the tests

OPERATOR_KEY = "dev-operator-key"
VIEWER_KEY = "dev-viewer-key"


def client(system: System, key: str = OPERATOR_KEY) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=system.gateway, headers={"X-API-Key": key}, timeout=15)


def spans(system: System) -> list[dict]:
    out = []
    for f in system.workdir.glob("spans-*.jsonl"):
        out.extend(json.loads(line) for line in f.read_text().splitlines() if line.strip())
    return out


async def ok(response: httpx.Response, status: int | tuple[int, ...] = (200, 201)) -> Any:
    """The JSON of a response that must have succeeded (with the body in the failure message)."""
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    return response.json()
