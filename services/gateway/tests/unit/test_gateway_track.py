"""The customer's status page at the gateway, against stub services that answer with more
than the customer may see: the page needs no API key, copies only whitelisted fields, says
404 alike for every bad token and never names a host or an id when a service fails. The
operators' revoke / new link need a key."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException

from gateway.app import create_app
from gateway.settings import Settings
from gateway_stubs import OPERATOR, VIEWER, StubNetwork

TOKEN = "k" * 32
ORDER_UUID = "6f1c2b0e-1111-4a2b-9c3d-5e6f7a8b9c0d"
SHIPMENT_UUID = "0a9b8c7d-2222-4e5f-8a9b-0c1d2e3f4a5b"
LOT_UUID = "5b0f0c39-0d7c-4c35-9d39-5a2f6b1d7a10"

ORDER = {
    "order_id": ORDER_UUID, "order_no": "SO-0042", "status": "in_production", "channel": "shopify",
    "customer_name": "Ada Lovelace", "customer_email": "ada@example.com",
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "address": "12 Analytical Row"},
    "placed_at": "2030-02-01T10:00:00Z", "promised_date": "2030-02-10", "expected_date": "2030-02-12",
    "shop_details": {"total": {"amount": "99.00", "currency": "EUR"}, "buyer_note": "ring twice"},
    "lines": [{"line_no": 1, "sku": "CREAM-50", "quantity": "12.000000", "unit": "pcs", "state": "planned",
               "plans": [{"plan_id": "plan-9", "batch_no": "B-77", "quantity": "50"}], "unit_cost": "3.10"}],
    "timeline": [{"status": "received", "detail": "lot L-SECRET reserved", "event_id": "e-1"},
                 {"status": "materials_reserved", "detail": "batch B-77"}, {"status": "in_production"}],
    "shortages": [{"material_sku": "WAX", "missing": "2"}],
}
PARCEL = {"carrier": "DHL", "tracking_no": "JD0146000031", "tracking_url": "https://dhl.example/JD0146000031",
          "status": "shipped", "shipped_at": "2030-02-11T09:00:00Z", "delivered_at": None,
          "items": [{"sku": "CREAM-50", "quantity": "12", "unit": "pcs", "lot_id": LOT_UUID, "cost": "37.20"}],
          "shipment_id": SHIPMENT_UUID, "lot_no": "L-SECRET"}
FORBIDDEN = [ORDER_UUID, SHIPMENT_UUID, LOT_UUID, "L-SECRET", "B-77", "plan-9", "ada@example.com",
             "Analytical", "99.00", "ring twice", "3.10", "37.20", "WAX", "shopify", "event_id", "lot_id",
             "cost", "customer", "timeline", "shipment_id", "http://shipping", "http://orders"]


def stubs(state: dict[str, Any]) -> dict[str, FastAPI]:
    orders, shipping = FastAPI(), FastAPI()

    @orders.get("/orders/{order_id}")
    async def order(order_id: str) -> dict:
        if order_id != ORDER_UUID:
            raise HTTPException(404, f"order {order_id} not found")
        return state["order"]

    @shipping.post("/status-links/resolve")
    async def resolve(body: dict) -> dict:
        state.setdefault("resolved", []).append(body)
        if body.get("token") != TOKEN:
            raise HTTPException(404, "not found")
        return {"order_id": ORDER_UUID, "order_no": "SO-0042", "shipments": state["parcels"],
                "language": state.get("language")}

    @shipping.post("/orders/{order_id}/status-link/revoke")
    async def revoke(order_id: str) -> dict:
        return {"order_id": order_id, "revoked": 1}

    return {"orders": orders, "shipping": shipping}


@pytest.fixture
def track_state() -> dict[str, Any]:
    return {"order": json.loads(json.dumps(ORDER)), "parcels": [dict(PARCEL)]}


@pytest.fixture
def track_network(track_state) -> StubNetwork:
    return StubNetwork(stubs(track_state))


@pytest.fixture
async def page(track_network) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(orders_url="http://orders", shipping_url="http://shipping", inventory_url="http://inventory",
                        production_url="http://production", channels_url="http://channels",
                        purchasing_url="http://purchasing", api_keys={"op-key": "operator", "view-key": "viewer"},
                        kafka_bootstrap=None)
    app = create_app(settings, transport=track_network)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as c:
            yield c


async def test_the_status_needs_no_key_and_shows_only_what_the_customer_may_see(page, track_network):
    r = await page.get(f"/api/track/{TOKEN}")  # no X-API-Key
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["order_no"] == "SO-0042" and view["status"] == "in_production"
    assert view["status_text"] == "Your order is being made."
    assert (view["promised_date"], view["expected_date"], view["placed_on"]) == ("2030-02-10", "2030-02-12", "2030-02-01")
    assert [(s["key"], s["done"], s["current"]) for s in view["steps"]] == [
        ("received", True, False), ("materials_reserved", True, False), ("in_production", True, True),
        ("ready_to_ship", False, False), ("shipped", False, False), ("delivered", False, False)]
    assert view["lines"] == [{"sku": "CREAM-50", "quantity": "12", "unit": "pcs"}]
    (parcel,) = view["shipments"]
    assert parcel == {"carrier": "DHL", "tracking_no": "JD0146000031", "tracking_url": "https://dhl.example/JD0146000031",
                      "status": "shipped", "shipped_on": "2030-02-11", "delivered_on": None,
                      "items": [{"sku": "CREAM-50", "quantity": "12", "unit": "pcs"}]}
    for leak in FORBIDDEN:
        assert leak not in r.text, leak
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
    # The token travels to shipping in a body, never in a URL (access logs).
    assert all(TOKEN not in path for _, _, path in track_network.calls)


async def test_the_html_page_is_readable_and_escapes_what_it_shows(page, track_state):
    track_state["order"]["lines"][0]["sku"] = "<script>alert(1)</script>"
    r = await page.get(f"/track/{TOKEN}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Order SO-0042" in r.text and "Your order is being made." in r.text
    assert "Promised to ship by</dt><dd>10 February 2030" in r.text and "JD0146000031" in r.text
    assert "<script>alert" not in r.text and "&lt;script&gt;" in r.text
    for leak in FORBIDDEN:
        assert leak not in r.text, leak


@pytest.mark.parametrize("tag", ["fr", "fr-FR", "fr_CA"])
async def test_a_french_shops_customer_reads_the_page_in_french(page, track_state, tag):
    track_state["language"] = tag  # what shipping wrote the order's e-mails in
    track_state["order"]["promised_date"] = "2030-03-01"
    view = (await page.get(f"/api/track/{TOKEN}")).json()
    assert view["language"] == "fr" and view["status_text"] == "Votre commande est en cours de fabrication."
    assert [s["label"] for s in view["steps"]][:3] == ["Commande reçue", "Matières réservées", "En fabrication"]
    r = await page.get(f"/track/{TOKEN}")
    assert '<html lang="fr">' in r.text and "<title>Commande SO-0042</title>" in r.text
    assert "Expédition promise au plus tard le</dt><dd>1er mars 2030" in r.text
    assert "Colis 1</h2><p>DHL" in r.text and "expédié le 11 février 2030" in r.text
    for leak in FORBIDDEN:
        assert leak not in r.text, leak


async def test_another_language_or_none_reads_english(page, track_state):
    for tag in (None, "de-DE", "", "  "):
        track_state["language"] = tag
        r = await page.get(f"/track/{TOKEN}")
        assert '<html lang="en">' in r.text and "Your order is being made." in r.text, tag


async def test_an_order_from_stock_does_not_claim_production_steps(page, track_state):
    track_state["order"].update(status="ready_to_ship", timeline=[{"status": "received"}, {"status": "allocated"}])
    steps = (await page.get(f"/api/track/{TOKEN}")).json()["steps"]
    assert [s["key"] for s in steps] == ["received", "ready_to_ship", "shipped", "delivered"]


@pytest.mark.parametrize("token", ["A" * 32, "short", "x" * 200, "%27%20OR%201%3D1%20--%20xxxxxxxxxxxxxxx", TOKEN.upper()])
async def test_every_bad_token_is_the_same_404(page, token):
    r = await page.get(f"/api/track/{token}")
    assert (r.status_code, r.json()) == (404, {"detail": "not found"})
    html_page = await page.get(f"/track/{token}")
    assert html_page.status_code == 404 and "does not open an order" in html_page.text


async def test_a_failing_service_is_a_503_that_names_nothing_internal(page, track_network):
    del track_network.apps["orders"]
    r = await page.get(f"/api/track/{TOKEN}")
    assert r.status_code == 503 and "orders" not in r.text and "http" not in r.text
    del track_network.apps["shipping"]
    r = await page.get(f"/api/track/{TOKEN}")
    assert r.status_code == 503 and "shipping" not in r.text and "http" not in r.text


async def test_revoking_needs_an_operator_key(page):
    path = f"/api/orders/{ORDER_UUID}/status-link/revoke"
    assert (await page.post(path)).status_code == 401
    assert (await page.post(path, headers=VIEWER)).status_code == 403
    r = await page.post(path, headers=OPERATOR)
    assert r.status_code == 200 and r.json()["revoked"] == 1
