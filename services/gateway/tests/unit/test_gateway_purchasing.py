"""Every purchasing endpoint relayed by the gateway: validated at the door (422 before the
service is called), viewers read only, the service's refusals passed through."""

from __future__ import annotations

import pytest

from gateway_purchasing_stub import PO_ID
from gateway_stubs import OPERATOR, VIEWER

pytestmark = pytest.mark.unit

CALLS = [
    ("GET", "/api/suppliers", None, "/suppliers"),
    ("POST", "/api/suppliers", {"name": "Sweet", "email": "a@b.example"}, "/suppliers"),
    ("GET", "/api/suppliers/s-1", None, "/suppliers/s-1"),
    ("PUT", "/api/suppliers/s-1/materials/SUGAR", {"lead_time_days": 5, "pack_size": "25"}, "/suppliers/s-1/materials/SUGAR"),
    ("DELETE", "/api/suppliers/s-1/materials/SUGAR", None, "/suppliers/s-1/materials/SUGAR"),
    ("GET", "/api/suggestions", None, "/suggestions"),
    ("POST", "/api/purchase-orders/from-suggestions", {"materials": ["SUGAR"]}, "/purchase-orders/from-suggestions"),
    ("POST", "/api/purchase-orders", {"supplier_id": "s-1", "lines": [
        {"material_sku": "SUGAR", "quantity": "50", "unit": "kg"}]}, "/purchase-orders"),
    ("GET", "/api/purchase-orders", None, "/purchase-orders"),
    ("GET", f"/api/purchase-orders/{PO_ID}", None, f"/purchase-orders/{PO_ID}"),
    ("POST", f"/api/purchase-orders/{PO_ID}/send", None, f"/purchase-orders/{PO_ID}/send"),
    ("POST", f"/api/purchase-orders/{PO_ID}/cancel", {"reason": "late"}, f"/purchase-orders/{PO_ID}/cancel"),
]


@pytest.mark.parametrize("method, path, body, downstream", CALLS, ids=[f"{c[0]} {c[1]}" for c in CALLS])
async def test_each_endpoint_is_relayed(gateway, state, method, path, body, downstream):
    r = await gateway.request(method, path, json=body, headers=OPERATOR)
    assert r.status_code < 300, r.text
    called = state["purchasing"][-1]
    assert (called[0], called[1]) == (method, downstream)
    if body is not None:
        assert called[3] == body


async def test_bad_input_never_reaches_the_service(gateway, state):
    bad = [
        ("POST", "/api/purchase-orders", {"supplier_id": "s-1", "lines": [{"material_sku": "SUGAR", "quantity": "0", "unit": "kg"}]}),
        ("POST", "/api/purchase-orders", {"supplier_id": "s-1", "lines": [{"material_sku": "SUGAR", "quantity": "5", "unit": "lb"}]}),
        ("POST", "/api/purchase-orders", {"supplier_id": "s-1", "lines": []}),
        ("PUT", "/api/suppliers/s-1/materials/SUGAR", {"lead_time_days": -1, "pack_size": "25"}),
        ("POST", "/api/suppliers", {"name": "", "email": "not-an-address"}),
        ("GET", "/api/purchase-orders?status=lost", None),
    ]
    for method, path, body in bad:
        r = await gateway.request(method, path, json=body, headers=OPERATOR)
        assert r.status_code == 422, (path, r.text)
    assert state.get("purchasing", []) == []


async def test_viewers_read_and_refusals_pass_through(gateway, state):
    assert (await gateway.get("/api/suggestions", headers=VIEWER)).status_code == 200
    assert (await gateway.post(f"/api/purchase-orders/{PO_ID}/send", headers=VIEWER)).status_code == 403
    state["po_sent"] = True
    r = await gateway.post(f"/api/purchase-orders/{PO_ID}/send", headers=OPERATOR)
    assert r.status_code == 409 and "only a draft" in r.json()["detail"]
    assert (await gateway.get("/api/purchase-orders/po-404", headers=OPERATOR)).status_code == 404


async def test_ready_includes_purchasing(gateway):
    body = (await gateway.get("/health/ready")).json()
    assert body["services"]["purchasing"]["ready"] is True
