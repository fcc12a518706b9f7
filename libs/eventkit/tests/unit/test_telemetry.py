"""HTTP metrics and telemetry settings, in process: requests counted by route template and
status on /metrics, each app with its own registry, and which settings turn OTLP export on."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from prometheus_client.parser import text_string_to_metric_families

from eventkit.http_telemetry import instrument
from eventkit.metrics import HttpMetrics, ServiceMetrics
from eventkit.settings import ServiceSettings

pytestmark = pytest.mark.unit


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/orders/{order_id}")
    async def get_order(order_id: str) -> dict:
        if order_id == "missing":
            raise HTTPException(404, "no such order")
        return {"order_id": order_id}

    @app.post("/orders", status_code=201)
    async def place() -> dict:
        return {}

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("a defect")

    instrument(app, HttpMetrics())
    return app


def samples(text: str, name: str) -> dict[tuple, float]:
    """`name`'s samples as {sorted label items: value}."""
    return {tuple(sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples if s.name == name}


def requests(text: str) -> dict[tuple[str, str, str], float]:
    return {(dict(k)["method"], dict(k)["route"], dict(k)["status"]): v
            for k, v in samples(text, "batchflow_http_requests_total").items()}


async def _scrape(c: httpx.AsyncClient) -> str:
    r = await c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return r.text


async def test_requests_are_counted_by_route_template_and_status():
    app = _app()
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        for oid in ("o-1", "o-2", "missing"):
            await c.get(f"/orders/{oid}")
        assert (await c.post("/orders")).status_code == 201
        assert (await c.get("/boom")).status_code == 500
        await c.get("/no/such/path")
        seen = requests(await _scrape(c))
    assert seen[("GET", "/orders/{order_id}", "200")] == 2  # one series, not one per order id
    assert seen[("GET", "/orders/{order_id}", "404")] == 1
    assert seen[("POST", "/orders", "201")] == 1
    assert seen[("GET", "/boom", "500")] == 1
    assert seen[("GET", "unmatched", "404")] == 1


async def test_each_app_has_its_own_registry():
    a, b = _app(), _app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(a), base_url="http://a") as ca, \
            httpx.AsyncClient(transport=httpx.ASGITransport(b), base_url="http://b") as cb:
        await ca.post("/orders")
        assert requests(await _scrape(ca))[("POST", "/orders", "201")] == 1
        assert ("POST", "/orders", "201") not in requests(await _scrape(cb))


async def test_a_service_registry_starts_with_an_empty_outbox_and_no_events():
    text = await ServiceMetrics().exposition()
    text = text.decode()
    assert samples(text, "batchflow_outbox_backlog") == {(): 0.0}
    assert samples(text, "batchflow_events_handled_total") == {}
    assert "process_cpu_seconds_total" in text or "process_" not in text  # /proc may be absent


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, None),
        ({"SERVICE_OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}, "http://collector:4318/v1/traces"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://std:4318"}, "http://std:4318/v1/traces"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://std:4318/custom"}, "http://std:4318/custom"),
        ({"SERVICE_OTEL_EXPORTER_OTLP_ENDPOINT": "http://mine:4318", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://std:4318"},
         "http://mine:4318/v1/traces"),
        ({"SERVICE_OTEL_EXPORTER": "otlp"}, "http://localhost:4318/v1/traces"),
    ],
)
def test_an_otlp_endpoint_turns_export_on(monkeypatch, env, expected):
    for name in ("SERVICE_OTEL_EXPORTER_OTLP_ENDPOINT", "SERVICE_OTEL_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
                 "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert ServiceSettings().otlp_traces_url() == expected
