"""Operators publish recipes and run batches through the API; state guards hold."""

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from production import clock

from production_testkit import lot, reserved

pytestmark = pytest.mark.integration

RECIPE = {
    "sku": "CREAM-50",
    "name": "Face cream 50 mL",
    "output_unit": "pcs",
    "ingredients": [{"sku": "BASE", "quantity": "0.05", "unit": "kg"}, {"sku": "JAR-50", "quantity": "1", "unit": "pcs"}],
    "batch_min": "100",
    "batch_multiple": "50",
    "expected_yield": "0.95",
    "lead_time_days": 3,
    "shelf_life_days": 30,
}


async def test_publishing_a_recipe_again_bumps_its_version(production):
    first = await production.api.post("/recipes", json=RECIPE)
    second = await production.api.post("/recipes", json={**RECIPE, "expected_yield": "0.9"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert (first.json()["recipe_version"], second.json()["recipe_version"]) == (1, 2)

    current = (await production.api.get("/recipes/CREAM-50")).json()
    assert current["recipe_version"] == 2 and Decimal(current["expected_yield"]) == Decimal("0.9")
    assert [r["recipe_version"] for r in (await production.api.get("/recipes")).json()] == [2]

    published = await production.outbox("recipe-published.v1")
    assert [(t, k, e.data["recipe_version"]) for t, k, e in published] == [
        ("production.recipe-published.v1", "CREAM-50", 1),
        ("production.recipe-published.v1", "CREAM-50", 2),
    ]
    assert published[1][2].data["ingredients"][0] == {"sku": "BASE", "quantity": "0.05", "unit": "kg"}


async def test_a_bad_recipe_is_refused_with_its_reasons_and_nothing_published(production):
    bad = {**RECIPE, "batch_min": "0", "ingredients": RECIPE["ingredients"] + [{"sku": "CREAM-50", "quantity": "1", "unit": "pcs"}]}
    resp = await production.api.post("/recipes", json=bad)
    assert resp.status_code == 422
    assert "batch_min must be greater than 0" in resp.json()["detail"]
    assert "the product CREAM-50 cannot be among its own ingredients" in resp.json()["detail"]
    assert (await production.api.post("/recipes", json={**RECIPE, "output_unit": "tons"})).status_code == 422
    assert await production.outbox() == []
    assert (await production.api.get("/recipes/CREAM-50")).status_code == 404


async def _planned_batch(production, **kw) -> str:
    plan = str(uuid.uuid4())
    await production.deliver(
        reserved("order-1", plan, lots=[lot("lot-a", "BASE", "5.5"), lot("lot-b", "JAR-50", "100", "pcs")], **kw)
    )
    return plan


async def test_start_then_complete_consumes_the_reserved_lots(production):
    await production.api.post("/recipes", json=RECIPE)
    plan = await _planned_batch(production)

    early = await production.api.post(f"/batches/{plan}/complete", json={"output_quantity": "96"})
    assert early.status_code == 409 and "start" in early.json()["detail"]

    started = await production.api.post(f"/batches/{plan}/start")
    assert started.status_code == 200 and started.json()["status"] == "started"
    again = await production.api.post(f"/batches/{plan}/start")
    assert again.status_code == 409 and "started" in again.json()["detail"]
    [(_, key, env)] = await production.outbox("batch-started.v1")
    assert key == plan and env.correlation_id == "order-1"
    assert env.data["covers"] == [{"order_id": "order-1", "line_no": 1, "quantity": "40.000000"}]

    done = await production.api.post(f"/batches/{plan}/complete", json={"output_quantity": "96"})
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "completed" and Decimal(body["waste_quantity"]) == 4
    assert {m["lot_id"] for m in body["consumed_materials"]} == {"lot-a", "lot-b"}

    [(_, _, completed)] = await production.outbox("batch-completed.v1")
    data = completed.data
    assert data["expiry_date"] == (clock.today() + timedelta(days=30)).isoformat()
    assert (data["output_quantity"], data["waste_quantity"], data["planned_quantity"]) == ("96", "4.000000", "100.000000")
    assert sorted((c["lot_id"], c["lot_no"], c["sku"], c["quantity"], c["unit"]) for c in data["consumption"]) == [
        ("lot-a", "LN-lot-a", "BASE", "5.500000", "kg"),
        ("lot-b", "LN-lot-b", "JAR-50", "100.000000", "pcs"),
    ]
    assert (await production.api.post(f"/batches/{plan}/complete", json={"output_quantity": "96"})).status_code == 409
    assert len(await production.outbox("batch-completed.v1")) == 1
    assert [b["batch_id"] for b in (await production.api.get("/batches", params={"status": "completed"})).json()] == [plan]


async def test_actual_consumption_may_only_name_reserved_lots(production):
    plan = await _planned_batch(production)
    await production.api.post(f"/batches/{plan}/start")

    wrong = await production.api.post(
        f"/batches/{plan}/complete", json={"output_quantity": "90", "consumption": [{"lot_id": "lot-zzz", "quantity": "1"}]}
    )
    assert wrong.status_code == 422 and wrong.json()["detail"] == ["lot lot-zzz is not reserved for this batch"]
    assert (await production.api.get(f"/batches/{plan}")).json()["status"] == "started"

    ok = await production.api.post(
        f"/batches/{plan}/complete",
        json={"output_quantity": "90", "waste_quantity": "2", "expiry_date": "2027-01-31",
              "consumption": [{"lot_id": "lot-a", "quantity": "5.8"}]},
    )
    assert ok.status_code == 200
    data = (await production.outbox("batch-completed.v1"))[0][2].data
    assert data["consumption"] == [
        {"sku": "BASE", "lot_id": "lot-a", "lot_no": "LN-lot-a", "quantity": "5.8", "unit": "kg", "expiry_date": None}
    ]
    assert (data["waste_quantity"], data["expiry_date"]) == ("2", "2027-01-31")


async def test_without_a_known_recipe_the_finished_lot_has_no_expiry(production):
    plan = await _planned_batch(production)
    await production.api.post(f"/batches/{plan}/start")
    await production.api.post(f"/batches/{plan}/complete", json={"output_quantity": "100"})
    data = (await production.outbox("batch-completed.v1"))[0][2].data
    assert data["expiry_date"] is None and data["waste_quantity"] == "0.000000"


async def test_a_double_click_on_complete_completes_once(production):
    plan = await _planned_batch(production)
    await production.api.post(f"/batches/{plan}/start")
    clicks = await asyncio.gather(
        *(production.api.post(f"/batches/{plan}/complete", json={"output_quantity": "99"}) for _ in range(2))
    )
    assert sorted(r.status_code for r in clicks) == [200, 409]
    assert len(await production.outbox("batch-completed.v1")) == 1


async def test_queries_filter_and_unknown_batches_are_404(production):
    plan = await _planned_batch(production)
    other = await _planned_batch(production, sku="SOAP-100")
    await production.api.post(f"/batches/{other}/start")
    assert [b["batch_id"] for b in (await production.api.get("/batches", params={"status": "planned"})).json()] == [plan]
    assert [b["batch_id"] for b in (await production.api.get("/batches", params={"sku": "SOAP-100"})).json()] == [other]
    assert (await production.api.get("/batches", params={"status": "bogus"})).status_code == 422
    assert (await production.api.get("/batches/nope")).status_code == 404
    assert (await production.api.post("/batches/nope/start")).status_code == 404
    assert (await production.api.post("/batches/nope/complete", json={"output_quantity": "1"})).status_code == 404
    assert (await production.api.get("/orders/unknown/batches")).json() == []
