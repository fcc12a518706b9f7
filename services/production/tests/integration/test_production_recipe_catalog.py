"""Recipes are checked against production's catalog replica (inventory's ItemDefined):
refused with 422 and every reason, nothing stored, nothing published."""

import uuid

import pytest

from production_testkit import lot, reserved

pytestmark = pytest.mark.integration

RECIPE = {
    "sku": "CREAM-50", "name": "Face cream 50 mL", "output_unit": "pcs",
    "ingredients": [{"sku": "BASE", "quantity": "0.05", "unit": "kg"}, {"sku": "JAR-50", "quantity": "1", "unit": "pcs"}],
    "batch_min": "100", "batch_multiple": "50", "expected_yield": "0.95", "lead_time_days": 3,
}


def with_ingredient(sku: str, unit: str) -> dict:
    return {**RECIPE, "ingredients": RECIPE["ingredients"] + [{"sku": sku, "quantity": "1", "unit": unit}]}


@pytest.mark.parametrize(
    "body, words",
    [
        (with_ingredient("GHOST", "kg"), "unknown ingredient GHOST"),
        (with_ingredient("CREAM-50", "pcs"), "cannot be among its own ingredients"),
        (with_ingredient("LOTION", "pcs"), "ingredient LOTION is a finished good"),
        ({**RECIPE, "ingredients": [{"sku": "BASE", "quantity": "1", "unit": "pcs"}]}, "ingredient BASE in pcs does not fit"),
        ({**RECIPE, "output_unit": "kg"}, "output unit kg does not fit CREAM-50, which is kept in pcs"),
        ({**RECIPE, "sku": "NEW-CREAM"}, "unknown product NEW-CREAM"),
    ],
)
async def test_a_recipe_that_does_not_fit_the_catalog_is_refused_and_nothing_published(production, body, words):
    await production.define("LOTION", "finished", "pcs")
    resp = await production.api.post("/recipes", json=body)
    assert resp.status_code == 422, resp.text
    assert any(words in reason for reason in resp.json()["detail"]), resp.json()
    assert await production.outbox() == []
    assert (await production.api.get("/recipes")).json() == []


async def test_a_recipe_closing_a_cycle_through_an_intermediate_is_refused(production):
    assert (await production.api.post("/recipes", json=RECIPE)).status_code == 201
    base = {**RECIPE, "sku": "BASE", "output_unit": "kg", "ingredients": [{"sku": "CREAM-50", "quantity": "1", "unit": "pcs"}]}
    resp = await production.api.post("/recipes", json=base)
    assert resp.status_code == 422
    assert any("cycle: BASE -> CREAM-50 -> BASE" in r for r in resp.json()["detail"])
    assert len(await production.outbox("recipe-published.v1")) == 1


async def test_the_replica_keeps_the_newest_revision_and_an_item_defined_later_makes_the_recipe_fit(production):
    assert (await production.api.post("/recipes", json={**RECIPE, "sku": "LATE"})).status_code == 422
    assert (await production.api.get("/catalog/LATE")).status_code == 404
    await production.define("LATE", "finished", "pcs", revision=2)
    await production.define("LATE", "raw", "kg", revision=1)  # older, replayed: ignored
    assert (await production.api.get("/catalog/LATE")).json()["revision"] == 2
    assert (await production.api.post("/recipes", json={**RECIPE, "sku": "LATE"})).status_code == 201
    await production.define("JAR-50", "raw", "pcs", active=False, revision=2)
    resp = await production.api.post("/recipes", json=RECIPE)
    assert resp.status_code == 422 and "ingredient JAR-50 is inactive" in resp.json()["detail"]


async def test_a_batch_counted_in_pieces_completes_in_whole_pieces(production):
    plan = str(uuid.uuid4())
    await production.deliver(reserved("order-1", plan, lots=[lot("lot-b", "JAR-50", "100", "pcs")]))
    assert (await production.api.post(f"/batches/{plan}/start")).status_code == 200
    half = await production.api.post(f"/batches/{plan}/complete", json={"output_quantity": "96.5"})
    assert half.status_code == 422 and "output 96.5 pcs is not a whole number of pieces" in half.json()["detail"]
    jars = await production.api.post(f"/batches/{plan}/complete", json={
        "output_quantity": "96", "consumption": [{"lot_id": "lot-b", "quantity": "99.5"}]})
    assert jars.status_code == 422 and "lot LN-lot-b: 99.5 pcs is not a whole number" in jars.json()["detail"][0]
    assert await production.outbox("batch-completed.v1") == []
    assert (await production.api.post(f"/batches/{plan}/complete", json={"output_quantity": "96"})).status_code == 200
