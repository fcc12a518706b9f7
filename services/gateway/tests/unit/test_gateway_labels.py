"""Gateway: labels and packing slips relayed as PDF, buying a label (body checked at the door),
and EasyPost's public webhook door (no API key; body and signature forwarded byte for byte)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response

from gateway_purchasing_stub import purchasing_stub
from gateway_stubs import OPERATOR, VIEWER, StubNetwork, channels_stub, inventory_stub, orders_stub, production_stub

pytestmark = pytest.mark.unit
SID = "9b1c6f0e-0000-4000-8000-000000000001"


def labels_stub(state: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/shipments/{sid}/label.pdf")
    async def label(sid: str) -> Response:
        return Response(b"%PDF-label " + sid.encode(), media_type="application/pdf")

    @app.get("/shipments/{sid}/packing-slip.pdf")
    async def slip(sid: str) -> Response:
        return Response(b"%PDF-slip", media_type="application/pdf")

    @app.post("/shipments/{sid}/buy-label")
    async def buy(sid: str, request: Request) -> dict:
        state["bought"] = await request.json()
        return {"shipment_id": sid, "tracking_no": "9400100000000000000017",
                "ship_with": {"carrier": "USPS", "tracking_no": "9400100000000000000017"}}

    @app.post("/webhooks/easypost")
    async def webhook(request: Request) -> dict:
        state["webhook"] = {"body": await request.body(), "headers": dict(request.headers)}
        if request.headers.get("x-hmac-signature") != "hmac-sha256-hex=good":
            raise HTTPException(401, "missing or wrong X-Hmac-Signature")
        return {"outcome": "delivered"}

    @app.get("/health/ready")
    async def ready() -> dict:
        return {"ready": True}

    return app


@pytest.fixture
def network(state: dict[str, Any]) -> StubNetwork:
    return StubNetwork({"orders": orders_stub(state), "inventory": inventory_stub(state),
                        "production": production_stub(state), "shipping": labels_stub(state),
                        "channels": channels_stub(state), "purchasing": purchasing_stub(state)})


async def test_label_and_packing_slip_come_through_as_pdf(gateway):
    r = await gateway.get(f"/api/shipments/{SID}/label.pdf", headers=VIEWER)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content == f"%PDF-label {SID}".encode()
    slip = await gateway.get(f"/api/shipments/{SID}/packing-slip.pdf", headers=VIEWER)
    assert slip.status_code == 200 and slip.content == b"%PDF-slip"
    assert (await gateway.get(f"/api/shipments/{SID}/label.pdf")).status_code == 401  # no key
    assert (await gateway.get("/api/shipments/not-a-uuid/label.pdf", headers=VIEWER)).status_code == 422


async def test_buy_label_is_for_operators_and_its_body_is_checked_at_the_door(gateway, state):
    assert (await gateway.post(f"/api/shipments/{SID}/buy-label", headers=VIEWER)).status_code == 403
    r = await gateway.post(f"/api/shipments/{SID}/buy-label", headers=OPERATOR, json={"carrier": "USPS"})
    assert r.status_code == 200 and r.json()["ship_with"]["carrier"] == "USPS"
    assert state["bought"] == {"carrier": "USPS"}
    assert (await gateway.post(f"/api/shipments/{SID}/buy-label", headers=OPERATOR)).status_code == 200
    assert state["bought"] == {}
    bad = await gateway.post(f"/api/shipments/{SID}/buy-label", headers=OPERATOR, json={"carrier": "", "x": 1})
    assert bad.status_code == 422


async def test_the_easypost_webhook_needs_no_key_and_reaches_shipping_byte_for_byte(gateway, state):
    body = b'{"id": "evt_1", "description": "tracker.updated"}'
    r = await gateway.post("/webhooks/easypost", content=body,
                           headers={"Content-Type": "application/json", "X-Hmac-Signature": "hmac-sha256-hex=good"})
    assert r.status_code == 200 and r.json() == {"outcome": "delivered"}
    assert state["webhook"]["body"] == body
    assert state["webhook"]["headers"]["x-hmac-signature"] == "hmac-sha256-hex=good"
    bad = await gateway.post("/webhooks/easypost", content=body, headers={"X-Hmac-Signature": "hmac-sha256-hex=bad"})
    assert bad.status_code == 401
