"""The gateway against stub services: each service's base URL is routed to a small FastAPI
app standing in for it (or to nothing, which is a refused connection)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings

# pytest runs with --import-mode=importlib: make the helper module next to this file importable.
sys.path.insert(0, str(Path(__file__).parent))
from gateway_stubs import (  # noqa: E402
    ORDER_ID,
    StubNetwork,
    channels_stub,
    inventory_stub,
    orders_stub,
    production_stub,
    shipping_stub,
)
from gateway_purchasing_stub import purchasing_stub  # noqa: E402


@pytest.fixture
def state() -> dict[str, Any]:
    return {"orders": {
        ORDER_ID: {"order_id": ORDER_ID, "order_no": "SO-0001", "status": "ready_to_ship",
                   "customer": {"name": "Ada", "email": "ada@example.com"},
                   "timeline": [{"at": "2025-01-01T10:00:00Z", "status": "received", "event_type": "OrderPlaced",
                                 "producer": "orders"}]},
    }}


@pytest.fixture
def network(state: dict[str, Any]) -> StubNetwork:
    return StubNetwork({
        "orders": orders_stub(state),
        "inventory": inventory_stub(state),
        "production": production_stub(state),
        "shipping": shipping_stub(state),
        "channels": channels_stub(state),
        "purchasing": purchasing_stub(state),
    })


@pytest.fixture
async def gateway(network: StubNetwork) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        orders_url="http://orders", inventory_url="http://inventory", production_url="http://production",
        shipping_url="http://shipping", channels_url="http://channels",
        purchasing_url="http://purchasing",
        api_keys={"op-key": "operator", "view-key": "viewer"},
    )
    app = create_app(settings, transport=network)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            yield client
