"""Placing and querying orders over HTTP, against a real database."""

from __future__ import annotations

import re
import uuid

import pytest

from orders_testkit import order_body

pytestmark = pytest.mark.integration


async def test_placed_order_is_received_and_emits_order_placed(orders):
    order = await orders.place(priority=3)
    assert order["status"] == "received"
    assert re.fullmatch(r"SO-\d{6}", order["order_no"])
    assert [(ln["line_no"], ln["sku"], ln["unit"]) for ln in order["lines"]] == [(1, "SOAP-1", "pcs"), (2, "CREAM-2", "kg")]
    assert order["customer"]["email"] == "ada@example.com"
    assert order["promised_date"] is None

    [(topic, key, env)] = await orders.outbox()
    assert topic == "orders.order-placed.v1" and key == order["order_id"]
    assert env.event_type == "OrderPlaced" and env.producer == "orders" and env.correlation_id == order["order_id"]
    assert env.data["order_no"] == order["order_no"] and env.data["priority"] == 3 and env.data["channel"] == "gateway"
    assert [(ln["line_no"], ln["quantity"]) for ln in env.data["lines"]] == [(1, "10"), (2, "5")]

    [entry] = order["timeline"]
    assert entry["event_type"] == "OrderPlaced" and entry["event_id"] == str(env.event_id)
    assert entry["producer"] == "orders" and entry["status"] == "received"
    assert order["order_no"] in entry["detail"]
    assert await orders.get(order["order_id"]) == order


async def test_order_numbers_follow_a_sequence(orders):
    first, second = await orders.place(), await orders.place()
    assert int(second["order_no"][3:]) == int(first["order_no"][3:]) + 1


async def test_client_supplied_order_id_makes_post_idempotent(orders):
    body = order_body(order_id="web-42")
    first = await orders.api.post("/orders", json=body)
    again = await orders.api.post("/orders", json=body | {"lines": [
        {"sku": "SOAP-1", "quantity": "10.000", "unit": "pcs"}, {"sku": "CREAM-2", "quantity": "5", "unit": "kg"}]})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["order_no"] == first.json()["order_no"]
    assert len(await orders.outbox()) == 1
    assert (await orders.api.get("/orders")).json()["total"] == 1

    other = await orders.api.post("/orders", json=order_body(order_id="web-42", priority=9))
    assert other.status_code == 409 and "web-42" in other.json()["detail"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "SOAP-1", "quantity": "0", "unit": "pcs"}]}, "quantity"),
        ({"lines": [{"sku": "SOAP-1", "quantity": "-2", "unit": "pcs"}]}, "quantity"),
        ({"lines": [{"sku": "SOAP-1", "quantity": "2", "unit": "lb"}]}, "unit"),
        ({"customer": {"name": "Ada", "email": "not-an-email"}}, "email"),
        ({"lines": [{"line_no": 1, "sku": "A", "quantity": "1", "unit": "pcs"},
                    {"line_no": 1, "sku": "B", "quantity": "1", "unit": "pcs"}]}, "unique"),
        ({"order_id": "has space"}, "order_id"),
    ],
)
async def test_invalid_orders_are_refused_with_reasons(orders, change, field):
    resp = await orders.api.post("/orders", json=order_body(**change))
    assert resp.status_code == 422
    assert field in resp.text
    assert await orders.outbox() == []


async def test_unknown_order_is_404(orders):
    resp = await orders.api.get(f"/orders/{uuid.uuid4()}")
    assert resp.status_code == 404 and "not found" in resp.json()["detail"]


async def test_list_filters_and_paging(orders):
    ada = await orders.place()
    bob = await orders.place(customer={"name": "Bob Stone", "email": "bob@shop.test"},
                             lines=[{"sku": "PAINT-9", "quantity": "3", "unit": "L"}])
    cy = await orders.place(customer={"name": "Cy", "email": "cy@ADA-corp.test"})

    async def ids(**params):
        resp = await orders.api.get("/orders", params=params)
        assert resp.status_code == 200, resp.text
        return [o["order_no"] for o in resp.json()["items"]]

    assert await ids() == [cy["order_no"], bob["order_no"], ada["order_no"]]  # newest first
    assert await ids(customer="ada") == [cy["order_no"], ada["order_no"]]  # name or e-mail, any case
    assert await ids(sku="PAINT-9") == [bob["order_no"]]
    assert await ids(status="received", channel="gateway", limit=1, offset=1) == [bob["order_no"]]
    assert await ids(status="shipped") == []
    assert await ids(placed_from=bob["placed_at"], placed_to=bob["placed_at"]) == [bob["order_no"]]
    assert await ids(customer="100%_") == []
    bad = await orders.api.get("/orders", params={"status": "lost"})
    assert bad.status_code == 422


async def test_order_contacts_name_many_orders_customers_in_one_call(orders):
    a = (await orders.place())["order_id"]
    b = (await orders.place(customer={"name": "Grace Hopper", "email": "grace@example.com"}))["order_id"]
    r = await orders.api.get("/order-contacts", params={"order_id": [b, a, "not-an-order", a]})
    assert r.status_code == 200, r.text
    got = {c["order_id"]: (c["status"], c["customer"]["email"]) for c in r.json()}
    assert got == {a: ("received", "ada@example.com"), b: ("received", "grace@example.com")}
    none = await orders.api.get("/order-contacts")
    assert none.status_code == 422
    too_many = await orders.api.get("/order-contacts", params={"order_id": [f"o{i}" for i in range(501)]})
    assert too_many.status_code == 422
