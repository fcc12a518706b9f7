"""The catalog as events: an item created or changed is announced as ItemDefined in the same
transaction (outbox); a refused definition or receipt creates nothing and announces nothing;
a recipe never creates an item."""

from __future__ import annotations

import pytest
from inventory_testkit import D, in_days, recipe

from contracts import events as ev

pytestmark = pytest.mark.integration


async def defined(inv) -> list[ev.ItemDefined]:
    return [e for e in await inv.emitted() if isinstance(e, ev.ItemDefined)]


async def test_a_new_item_is_announced_with_what_the_replicas_need(inv):
    created = await inv.item("SOAP", kind="finished", base_unit="pcs", max_order_quantity="500")
    assert (created["revision"], created["active"], D(created["max_order_quantity"])) == (1, True, D(500))
    await inv.item("OIL", kind="raw", base_unit="kg")
    await inv.item("BASE", kind="intermediate", base_unit="kg")
    soap, oil, base = await defined(inv)
    assert (soap.sku, soap.kind, soap.base_unit, soap.sellable, soap.max_order_quantity, soap.active, soap.revision) == (
        "SOAP", "finished", "pcs", True, D(500), True, 1)
    assert (oil.sellable, oil.max_order_quantity) == (False, None)
    assert (base.kind, base.sellable) == ("intermediate", False)
    assert [i["sku"] for i in await inv.get("/items", kind="intermediate")] == ["BASE"]
    # The event is keyed by SKU on inventory's compacted catalog topic.
    rows = await inv.rows("SELECT topic, key FROM outbox ORDER BY id LIMIT 1")
    assert rows == [{"topic": "inventory.item-defined.v1", "key": "SOAP"}]


async def test_a_changed_item_is_announced_with_a_new_revision_and_no_change_announces_nothing(inv):
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    resp = await inv.api.patch("/items/SOAP", json={"max_order_quantity": "200", "name": "Lavender soap"})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["revision"], resp.json()["name"]) == (2, "Lavender soap")
    assert (await inv.api.patch("/items/SOAP", json={"max_order_quantity": "200"})).status_code == 200
    resp = await inv.api.patch("/items/SOAP", json={"active": False, "max_order_quantity": None})
    assert resp.json()["revision"] == 3
    assert [(e.revision, e.max_order_quantity, e.active) for e in await defined(inv)] == [
        (1, None, True), (2, D(200), True), (3, None, False)]
    # Re-announcing every item (for replicas started later) repeats the current revisions.
    assert (await inv.api.post("/items/announce")).json() == {"announced": 1}
    assert (await defined(inv))[-1].revision == 3


@pytest.mark.parametrize(
    "body, words",
    [
        ({"name": "  "}, "name must not be blank"),
        ({"max_order_quantity": "2.5"}, "whole bound"),
        ({"base_unit": "kg"}, "base_unit"),  # fixed once the item exists
        ({"kind": "raw"}, "kind"),
        ({"name": None}, "cannot be cleared"),
    ],
)
async def test_refused_item_changes_change_nothing_and_announce_nothing(inv, body, words):
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    resp = await inv.api.patch("/items/SOAP", json=body)
    assert resp.status_code == 422 and words in str(resp.json()["detail"]), resp.text
    assert (await inv.get("/items/SOAP"))["revision"] == 1 and len(await defined(inv)) == 1
    assert (await inv.api.patch("/items/NOPE", json={"name": "x"})).status_code == 404


@pytest.mark.parametrize(
    "body, words",
    [
        ({"sku": "S", "name": " ", "kind": "finished", "base_unit": "pcs"}, "name must not be blank"),
        ({"sku": "S", "name": "S", "kind": "finished", "base_unit": "pcs", "max_order_quantity": "1.5"}, "whole bound"),
        ({"sku": "S", "name": "S", "kind": "finished", "base_unit": "pcs", "max_order_quantity": "0"}, ""),
        ({"sku": "S", "name": "S", "kind": "semi", "base_unit": "pcs"}, "kind"),
        ({"sku": "S", "name": "S", "kind": "raw", "base_unit": "pcs", "colour": "red"}, "colour"),
    ],
)
async def test_refused_items_create_nothing_and_announce_nothing(inv, body, words):
    resp = await inv.api.post("/items", json=body)
    assert resp.status_code == 422 and words in str(resp.json()["detail"]), resp.text
    assert await inv.get("/items") == [] and await inv.outbox_count() == 0


async def test_a_recipe_never_creates_an_item(inv):
    await inv.deliver(recipe("GHOST", [("OIL", "1", "kg")]))
    assert await inv.get("/items") == [] and await inv.outbox_count() == 0
    assert (await inv.get("/recipes/GHOST"))["sku"] == "GHOST"


@pytest.mark.parametrize(
    "body, words",
    [
        ({"sku": "SOAP", "quantity": "1.5", "unit": "pcs"}, "whole pieces"),
        ({"sku": "SOAP", "quantity": "1", "unit": "pcs", "received_date": in_days(1)}, "in the future"),
    ],
)
async def test_receipts_of_half_pieces_or_dated_tomorrow_are_refused(inv, body, words):
    await inv.item("SOAP", kind="finished", base_unit="pcs")
    before = await inv.outbox_count()
    resp = await inv.api.post("/receipts", json=body)
    assert resp.status_code == 422 and words in resp.json()["detail"], resp.text
    assert await inv.get("/lots", sku="SOAP") == [] and await inv.outbox_count() == before
    # Today's date is fine.
    await inv.receive("SOAP", "1", "pcs", received_date=in_days(0))
