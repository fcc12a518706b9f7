"""Orders checked at the door against orders' own catalog replica (inventory's ItemDefined):
a refused order is a 422 naming the line, and nothing is created or published; a channel
order failing the same checks waits on the review list, not placed, no OrderPlaced."""

from __future__ import annotations

import uuid

import pytest
from orders_testkit import channel_order, item_defined, order_body

from contracts.events.base import OrderLine

pytestmark = pytest.mark.integration


async def outbox_count(orders) -> int:
    return await orders.scalar("SELECT count(*) FROM outbox")


@pytest.mark.parametrize(
    "line, words",
    [
        ({"sku": "GHOST", "quantity": "1", "unit": "pcs"}, "line 2: unknown SKU GHOST"),
        # A slip of the shift key: the catalog's SKU is suggested (the catalog holds SOAP-1).
        ({"sku": "soap-1", "quantity": "1", "unit": "pcs"}, "line 2: unknown SKU soap-1: did you mean SOAP-1?"),
        ({"sku": "OIL", "quantity": "1", "unit": "kg"}, "line 2: OIL is a raw item, not for sale"),
        ({"sku": "SOAP-1", "quantity": "2", "unit": "kg"}, "line 2: SOAP-1 is kept in pcs (count); kg is a mass unit"),
        ({"sku": "SOAP-1", "quantity": "1.5", "unit": "pcs"}, "line 2: SOAP-1 is counted in whole pieces"),
        ({"sku": "SOAP-1", "quantity": "999999999999", "unit": "pcs"}, "the most any order line may ask for"),
        ({"sku": "LIMITED", "quantity": "11", "unit": "pcs"}, "more than 10 pcs, the most one order line of LIMITED"),
        ({"sku": "RETIRED", "quantity": "1", "unit": "pcs"}, "RETIRED is no longer sold"),
    ],
)
async def test_an_order_the_catalog_refuses_is_a_422_and_nothing_is_created(orders, line, words):
    await orders.deliver(item_defined("OIL", "kg", kind="raw"))
    await orders.deliver(item_defined("LIMITED", "pcs", max_order_quantity="10"))
    await orders.deliver(item_defined("RETIRED", "pcs", active=False))
    before = await outbox_count(orders)
    body = order_body(lines=[{"sku": "SOAP-1", "quantity": "1", "unit": "pcs"}, line], order_id=f"o-{uuid.uuid4()}")
    resp = await orders.api.post("/orders", json=body)
    assert resp.status_code == 422, resp.text
    assert any(words in reason for reason in resp.json()["detail"]), resp.json()
    assert await orders.scalar("SELECT count(*) FROM orders") == 0
    assert await outbox_count(orders) == before  # no OrderPlaced
    assert (await orders.api.get(f"/orders/{body['order_id']}")).status_code == 404
    # The same order with the line fixed is placed.
    fixed = order_body(lines=[{"sku": "SOAP-1", "quantity": "1", "unit": "pcs"}])
    assert (await orders.api.post("/orders", json=fixed)).status_code == 201


async def test_an_item_defined_later_can_be_ordered_and_the_newest_revision_counts(orders):
    body = order_body(lines=[{"sku": "NEW", "quantity": "5", "unit": "pcs"}])
    assert "catalog may still be catching up" in (await orders.api.post("/orders", json=body)).json()["detail"][0]
    await orders.deliver(item_defined("NEW", "pcs", revision=2, max_order_quantity="4"))
    await orders.deliver(item_defined("NEW", "pcs", revision=1))  # older, replayed: ignored
    assert (await orders.api.get("/catalog/NEW")).json()["revision"] == 2
    assert (await orders.api.post("/orders", json=body)).status_code == 422  # 5 > 4
    await orders.deliver(item_defined("NEW", "pcs", revision=3))
    assert (await orders.api.post("/orders", json=body)).status_code == 201
    assert (await orders.api.get("/catalog/NOPE")).status_code == 404


async def test_a_channel_order_the_catalog_refuses_waits_on_the_review_list(orders):
    before = await outbox_count(orders)
    oid = str(uuid.uuid4())
    bad = channel_order(oid, ref="#2001").model_copy(update={"lines": [
        OrderLine(line_no=1, sku="SOAP-1", quantity=2, unit="pcs"),
        OrderLine(line_no=2, sku="GHOST", quantity=1, unit="pcs"),
        OrderLine(line_no=3, sku="SOAP-1", quantity="1.5", unit="pcs"),
    ]})
    await orders.deliver(bad)
    await orders.deliver(bad, event_id=uuid.uuid4())  # redelivered under a new id: listed once

    assert (await orders.api.get(f"/orders/{oid}")).status_code == 404  # not placed
    assert await outbox_count(orders) == before  # no OrderPlaced
    page = (await orders.api.get("/review/orders")).json()
    assert page["total"] == 1
    (held,) = page["items"]
    assert (held["order_id"], held["status"], held["channel"], held["channel_order_ref"]) == (
        oid, "needs_review", "shopify", "#2001")
    assert [r.split(":")[0] for r in held["reasons"]] == ["line 2", "line 3"]
    assert "unknown SKU GHOST" in held["reasons"][0] and "whole pieces" in held["reasons"][1]
    assert [ln["sku"] for ln in held["lines"]] == ["SOAP-1", "GHOST", "SOAP-1"]
    # A good channel order still goes through.
    good = str(uuid.uuid4())
    await orders.deliver(channel_order(good, ref="#2002"))
    assert (await orders.get(good))["status"] == "received"
    assert (await orders.api.get("/review/orders")).json()["total"] == 1
