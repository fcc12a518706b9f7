"""Labels: the PDFs parsed back (text with pypdf, the barcode read from a rendering by zbar),
EasyPost through its local stand-in (the exact documented requests, a label paid once however
often buying is retried), and EasyPost's signed tracker webhooks (delivered once, a bad
signature refused with nothing changed)."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from devstack.carriers.easypost import EasyPostStandIn, signature
from devstack.testing import asgi_client, runtime
from shipping.api import make_api
from shipping.bootstrap import MIGRATIONS
from shipping.carrier_records import CarrierEvent
from shipping.settings import Settings
from shipping_testkit import allocated, allocation, deliver, new_order_id, outbox, placed

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "fixtures" / "easypost"
API_KEY = "EZTK_test_key"
SECRET = "whsec-labels-test"


@pytest.fixture
def easypost():
    with EasyPostStandIn(API_KEY, webhook_secret=SECRET) as stand_in:
        yield stand_in


@pytest.fixture
async def lrt(fresh_db, easypost):
    settings = Settings(
        database_url=fresh_db, item_weights_g={"CREAM-50": 60}, packaging_weight_g=150,
        ship_from_name="Savonnerie Test", ship_from_street1="3 Rue des Ateliers", ship_from_city="Lyon",
        ship_from_zip="69001", ship_from_country="FR", ship_from_email="ship@savonnerie.test",
        easypost_api_url=f"{easypost.url}/v2", easypost_api_key=API_KEY, easypost_webhook_secret=SECRET,
        easypost_timeout=10,
    )
    async with runtime(settings, MIGRATIONS, "shipping") as rt:
        yield rt


@pytest.fixture
async def api(lrt):
    async with asgi_client(make_api(lrt), "http://shipping") as c:
        yield c


def placed_in_england(order_id: str, order_no: str):
    event = placed(order_id, order_no=order_no)
    return event.model_copy(update={"customer": event.customer.model_copy(update={"country": "GB",
                                                                                   "phone": "+44 20 7946 0000"})})


async def prepared(rt, api, order_no: str = "SO-3001", *lots: tuple[str, str]) -> dict:
    order_id = new_order_id()
    await deliver(rt, placed_in_england(order_id, order_no))
    await deliver(rt, allocated(order_id, *[allocation(lot, qty) for lot, qty in (lots or [("B240101-0001", "12")])]))
    (s,) = (await api.get("/shipments", params={"order_id": order_id})).json()
    return s


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def barcodes_in(pdf: bytes, tmp_path) -> list[str]:
    """Render the page at 300 dpi (poppler) and read every barcode on it (zbar): what a
    scanner would see, independent of reportlab, which drew it."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm/zbarimg missing (deploy/scripts/barcode-deps.sh installs them)")
    (tmp_path / "label.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-singlefile", str(tmp_path / "label.pdf"),
                    str(tmp_path / "label")], check=True)
    found = subprocess.run(["zbarimg", "--raw", "-q", "-Scode128.enable", str(tmp_path / "label.png")],
                           capture_output=True, text=True)
    return found.stdout.split()  # zbarimg exits 4 when it finds nothing


async def test_label_and_packing_slip_parse_back_with_addresses_numbers_weight_and_barcode(lrt, api, tmp_path):
    s = await prepared(lrt, api, "SO-3001", ("B240101-0001", "10"), ("B240102-0002", "2"))
    sid = s["shipment_id"]

    r = await api.get(f"/shipments/{sid}/label.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = text_of(r.content)
    for expected in ("Ada Lovelace", "12 Analytical Row", "London", "GB",  # ship-to
                     "Savonnerie Test", "3 Rue des Ateliers", "69001 Lyon",  # ship-from
                     "Order SO-3001", "Shipment SO-3001/1", sid, "Weight 870 g",  # 12 x 60 g + 150 g box
                     "No tracking number yet"):
        assert expected in text, (expected, text)
    assert barcodes_in(r.content, tmp_path) == []  # no barcode of something that is not a tracking number

    slip = await api.get(f"/shipments/{sid}/packing-slip.pdf")
    assert slip.status_code == 200
    lines = [ln.strip() for ln in text_of(slip.content).splitlines()]
    assert "Order SO-3001" in lines and "Shipment SO-3001/1" in lines and "Weight 870 g" in lines
    # each line: number, SKU, quantity with unit, lot
    for row in (["1", "CREAM-50", "10 pcs", "B240101-0001"], ["1", "CREAM-50", "2 pcs", "B240102-0002"]):
        at = lines.index(row[3])
        assert lines[at - 3:at + 1] == row, lines

    # Shipped with a hand-typed tracking number: the label now carries it as Code128.
    shipped = await api.post(f"/shipments/{sid}/ship", json={"carrier": "dhl", "tracking_no": "JD0146000031"})
    assert shipped.status_code == 200, shipped.text
    label = (await api.get(f"/shipments/{sid}/label.pdf")).content
    assert "Tracking JD0146000031" in text_of(label) and "Carrier DHL" in text_of(label)
    assert barcodes_in(label, tmp_path) == ["JD0146000031"]


async def test_papers_of_an_unknown_shipment_are_404(api):
    for path in ("label.pdf", "packing-slip.pdf", "carrier-label"):
        r = await api.get(f"/shipments/{uuid.uuid4()}/{path}")
        assert r.status_code == 404 and "not found" in r.json()["detail"]


def basic_user(call) -> str:
    return base64.b64decode(call.header("Authorization").removeprefix("Basic ")).decode()


async def test_buy_label_sends_the_documented_requests_and_the_label_ships_with_its_tracking(lrt, api, easypost, tmp_path):
    s = await prepared(lrt, api, "SO-3002")
    sid = s["shipment_id"]
    r = await api.post(f"/shipments/{sid}/buy-label")
    assert r.status_code == 200, r.text
    label = r.json()

    create, buy, file = easypost.calls
    assert (create.method, create.path, basic_user(create)) == ("POST", "/v2/shipments", f"{API_KEY}:")
    assert create.header("Content-Type") == "application/json"
    assert create.json == {"shipment": {
        "reference": sid,
        "to_address": {"name": "Ada Lovelace", "street1": "12 Analytical Row", "city": "London", "country": "GB",
                       "phone": "+44 20 7946 0000", "email": "ada@example.com"},
        "from_address": {"name": "Savonnerie Test", "street1": "3 Rue des Ateliers", "city": "Lyon", "zip": "69001",
                         "country": "FR", "email": "ship@savonnerie.test"},
        "parcel": {"weight": 30.7},  # 870 g in ounces
        "options": {"label_format": "PDF"},
    }}
    shp = easypost.shipments[easypost.purchases[0]]
    cheapest = min(shp["rates"], key=lambda rate: float(rate["rate"]))
    assert (buy.method, buy.path, basic_user(buy)) == ("POST", f"/v2/shipments/{shp['id']}/buy", f"{API_KEY}:")
    assert buy.json == {"rate": {"id": cheapest["id"]}}
    assert (file.method, file.path) == ("GET", shp["postage_label"]["label_pdf_url"].removeprefix(easypost.url))
    assert "Authorization" not in file.headers and "authorization" not in file.headers  # no key to the file host

    assert label["carrier"] == "USPS" and label["service"] == "ParcelSelect" and label["rate"] == "9.16"
    assert label["tracking_no"] == shp["tracking_code"] and label["provider_shipment_id"] == shp["id"]
    assert label["ship_with"] == {"carrier": "USPS", "tracking_no": shp["tracking_code"]}
    assert label["label_file"] is True and API_KEY not in r.text
    pdf = await api.get(f"/shipments/{sid}/carrier-label")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    # Our own label carries the bought tracking number before the parcel left...
    assert barcodes_in((await api.get(f"/shipments/{sid}/label.pdf")).content, tmp_path) == [shp["tracking_code"]]

    # ...and the operator confirms the departure with it: Shipped carries it.
    shipped = await api.post(f"/shipments/{sid}/ship", json=label["ship_with"])
    assert shipped.status_code == 200, shipped.text
    (row,) = await outbox(lrt, "Shipped")
    assert row["envelope"].data["carrier"] == "USPS" and row["envelope"].data["tracking_no"] == shp["tracking_code"]


async def test_buy_with_a_chosen_carrier_and_service_and_a_rate_that_does_not_exist(lrt, api, easypost):
    s = await prepared(lrt, api, "SO-3003")
    none = await api.post(f"/shipments/{s['shipment_id']}/buy-label", json={"carrier": "FedEx"})
    assert none.status_code == 422 and "no rate fits carrier 'FedEx'" in none.json()["detail"]
    assert "USPS Priority" in none.json()["detail"] and easypost.purchases == []
    r = await api.post(f"/shipments/{s['shipment_id']}/buy-label", json={"carrier": "usps", "service": "Priority"})
    assert r.status_code == 200, r.text
    assert (r.json()["carrier"], r.json()["service"], r.json()["rate"]) == ("USPS", "Priority", "10.07")
    # The failed attempt's EasyPost shipment was kept and bought: one shipment, one purchase.
    assert len(easypost.shipments) == 1 and len(easypost.purchases) == 1


async def test_buying_again_or_after_a_lost_answer_pays_once(lrt, api, easypost):
    s = await prepared(lrt, api, "SO-3004")
    path = f"/shipments/{s['shipment_id']}/buy-label"

    easypost.buy_outcomes = ["fail"]  # EasyPost failed: nothing bought, our id kept
    failed = await api.post(path)
    assert failed.status_code == 502 and "forced failure" in failed.json()["detail"]
    assert easypost.purchases == [] and len(easypost.shipments) == 1

    easypost.buy_outcomes = ["lost"]  # bought, but the answer never came back
    first = await api.post(path)
    assert first.status_code == 200, first.text
    again = await api.post(path)  # the operator clicks again
    assert again.status_code == 200 and again.json()["tracking_no"] == first.json()["tracking_no"]

    assert len(easypost.shipments) == 1 and len(easypost.purchases) == 1
    assert [c.path for c in easypost.calls if c.method == "POST" and c.path == "/v2/shipments"] == ["/v2/shipments"]


async def test_no_label_for_a_shipment_that_cannot_leave_nor_without_a_key(lrt, api, easypost, fresh_db):
    s = await prepared(lrt, api, "SO-3005")
    await api.post(f"/shipments/{s['shipment_id']}/ship", json={"carrier": "UPS", "tracking_no": "1Z999AA10123456784"})
    r = await api.post(f"/shipments/{s['shipment_id']}/buy-label")
    assert r.status_code == 409 and "already shipped with UPS" in r.json()["detail"]
    assert (await api.post(f"/shipments/{uuid.uuid4()}/buy-label")).status_code == 404
    bad = await api.post(f"/shipments/{s['shipment_id']}/buy-label", json={"carrier": ""})
    assert bad.status_code == 422
    assert easypost.calls == []

    async with runtime(Settings(database_url=fresh_db), MIGRATIONS, "shipping") as keyless:
        async with asgi_client(make_api(keyless), "http://shipping") as c:
            other = await prepared(keyless, c, "SO-3006")
            r = await c.post(f"/shipments/{other['shipment_id']}/buy-label")
            assert r.status_code == 503 and "SHIPPING_EASYPOST_API_KEY" in r.json()["detail"]


async def bought_and_shipped(rt, api, order_no: str) -> tuple[str, str]:
    s = await prepared(rt, api, order_no)
    label = (await api.post(f"/shipments/{s['shipment_id']}/buy-label")).json()
    assert (await api.post(f"/shipments/{s['shipment_id']}/ship", json=label["ship_with"])).status_code == 200
    return s["shipment_id"], label["tracking_no"]


async def post_event(api, headers: dict, body: bytes):
    return await api.post("/webhooks/easypost", content=body, headers=headers)


async def test_signed_delivered_webhook_delivers_once_whatever_the_redeliveries(lrt, api, easypost):
    sid, tracking = await bought_and_shipped(lrt, api, "SO-3010")

    in_transit = await post_event(api, *easypost.signed(easypost.tracker_event(tracking, "in_transit")))
    assert in_transit.status_code == 200 and in_transit.json() == {"outcome": "status in_transit"}
    assert (await api.get(f"/shipments/{sid}")).json()["status"] == "shipped"

    event = easypost.tracker_event(tracking, "delivered")
    headers, body = easypost.signed(event)
    r = await post_event(api, headers, body)
    assert r.status_code == 200 and r.json() == {"outcome": "delivered"}
    shipment = (await api.get(f"/shipments/{sid}")).json()
    assert shipment["status"] == "delivered"
    assert shipment["delivered_at"][:19] == event["result"]["tracking_details"][-1]["datetime"][:19]  # the scan time

    replay = await post_event(api, headers, body)  # EasyPost delivers at least once
    assert replay.status_code == 200 and replay.json() == {"outcome": "duplicate"}
    another = await post_event(api, *easypost.signed(easypost.tracker_event(tracking, "delivered")))
    assert another.status_code == 200 and another.json() == {"outcome": "already delivered"}

    (row,) = await outbox(lrt, "Delivered")
    assert row["key"] == shipment["order_id"] and row["envelope"].data["shipment_id"] == sid


async def test_a_bad_or_missing_signature_is_refused_and_changes_nothing(lrt, api, easypost):
    sid, tracking = await bought_and_shipped(lrt, api, "SO-3011")
    event = easypost.tracker_event(tracking, "delivered")
    headers, body = easypost.signed(event, secret="not-the-secret")
    assert (await post_event(api, headers, body)).status_code == 401
    _, good_body = easypost.signed(event)
    unsigned = await post_event(api, {"Content-Type": "application/json"}, good_body)
    assert unsigned.status_code == 401 and "X-Hmac-Signature" in unsigned.json()["detail"]
    good_headers, _ = easypost.signed(event)
    tampered = good_body.replace(b'"delivered"', b'"Delivered"', 1)
    assert (await post_event(api, good_headers, tampered)).status_code == 401

    assert (await api.get(f"/shipments/{sid}")).json()["status"] == "shipped"
    assert await outbox(lrt, "Delivered") == []
    async with lrt.uow.sessions() as session:
        assert (await session.execute(select(CarrierEvent))).scalars().all() == []
    # The genuine event, signed, still does its work (the refused ones did not burn its id).
    assert (await post_event(api, good_headers, good_body)).json() == {"outcome": "delivered"}


async def test_unknown_trackers_and_other_events_are_acknowledged_and_ignored(lrt, api, easypost):
    stranger = {"id": "trk_unknown", "object": "Tracker", "tracking_code": "EZ4000000004", "status": "delivered",
                "shipment_id": "shp_not_ours", "carrier": "USPS", "tracking_details": []}
    event = easypost.tracker_event("EZ4000000004", "delivered", tracker=stranger)
    r = await post_event(api, *easypost.signed(event))
    assert r.status_code == 200 and r.json() == {"outcome": "ignored: unknown tracker"}
    batch = {"id": "evt_batch_1", "object": "Event", "description": "batch.updated", "result": {"object": "Batch"}}
    r = await post_event(api, *easypost.signed(batch))
    assert r.status_code == 200 and r.json() == {"outcome": "ignored: not a tracker event"}
    for junk in (b"not json", b"[1, 2]", b'{"description": "tracker.updated"}'):
        signed_for_other = {"X-Hmac-Signature": signature(b"{}", SECRET)}
        assert (await post_event(api, signed_for_other, junk)).status_code == 401
        r = await post_event(api, {"Content-Type": "application/json", "X-Hmac-Signature": signature(junk, SECRET)}, junk)
        assert r.status_code == 400, r.text


def keys(d: dict) -> set[str]:
    return set(d)


async def test_the_stand_in_answers_in_the_documented_shapes_and_a_documented_event_is_understood(lrt, api, easypost):
    documented = {name: json.loads((FIXTURES / f"{name}.json").read_text())
                  for name in ("shipment_create_response", "shipment_buy_response", "event_tracker_updated_delivered")}
    auth = (API_KEY, "")
    async with httpx.AsyncClient(base_url=f"{easypost.url}/v2", auth=auth) as c:
        assert (await c.post("/shipments", json={}, auth=("wrong", ""))).status_code == 401
        assert (await c.get("/addresses")).status_code == 404  # not implemented: not pretended
        created = (await c.post("/shipments", json={"shipment": {
            "to_address": {"name": "Ada", "street1": "12 Analytical Row", "city": "London", "country": "GB"},
            "from_address": {"name": "S", "street1": "3 Rue des Ateliers", "city": "Lyon", "country": "FR"},
            "parcel": {"weight": 30.7}, "options": {"label_format": "PDF"}, "reference": "ref-1"}})).json()
        want = documented["shipment_create_response"]
        assert keys(want) <= keys(created) and keys(want["rates"][0]) <= keys(created["rates"][0])
        assert keys(want["to_address"]) <= keys(created["to_address"]) and keys(want["parcel"]) <= keys(created["parcel"])
        assert (await c.get("/shipments/ref-1")).json()["id"] == created["id"]  # reference in place of id
        bought = (await c.post(f"/shipments/{created['id']}/buy", json={"rate": {"id": created["rates"][0]["id"]}})).json()
        want = documented["shipment_buy_response"]
        for part in ("postage_label", "tracker", "selected_rate"):
            assert keys(want[part]) <= keys(bought[part]), part
        again = await c.post(f"/shipments/{created['id']}/buy", json={"rate": {"id": created["rates"][0]["id"]}})
        assert again.status_code == 422 and easypost.purchases == [created["id"]]
    event = easypost.tracker_event(bought["tracking_code"], "delivered")
    want = documented["event_tracker_updated_delivered"]
    assert keys(want) <= keys(event) and keys(want["result"]) <= keys(event["result"])
    assert keys(want["result"]["tracking_details"][-1]) <= keys(event["result"]["tracking_details"][-1])

    # The documented event, signed with our secret: its tracker is not one of our labels.
    body = json.dumps(want).encode()
    r = await post_event(api, {"Content-Type": "application/json", "X-Hmac-Signature": signature(body, SECRET)}, body)
    assert r.status_code == 200 and r.json() == {"outcome": "ignored: unknown tracker"}
