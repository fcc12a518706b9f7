"""Label rules without I/O: parcel weight, splitting a one-line address, EasyPost's webhook
signature and rate choice, and the PDFs parsed back."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from shipping.carriers import easypost
from shipping.documents import PaperLine, ParcelPapers, render_label, render_packing_slip
from shipping.domain.parcel import WeightRules, ounces, parcel_weight_g, shown_weight
from shipping.domain.postal import split_address_line

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parents[1] / "fixtures" / "easypost"


def test_weight_follows_the_unit_per_sku_weights_and_the_box():
    rules = WeightRules(piece_weight_g=Decimal(250), item_weights_g={"CREAM-50": Decimal(60)},
                        liquid_density_g_per_ml=Decimal("0.9"), packaging_weight_g=Decimal(150))
    lines = [("CREAM-50", Decimal(12), "pcs"), ("SOAP", Decimal(2), "pcs"), ("WAX", Decimal("1.5"), "kg"),
             ("OIL", Decimal(500), "mL"), ("SALT", Decimal(40), "g")]
    # 720 + 500 + 1500 + 450 + 40 + 150
    assert parcel_weight_g(lines, rules) == Decimal(3360)
    assert shown_weight(Decimal(870)) == "870 g" and shown_weight(Decimal(3360)) == "3.4 kg"
    assert ounces(Decimal(870)) == Decimal("30.7") and ounces(Decimal(1000)) == Decimal("35.3")


@pytest.mark.parametrize("line, expected", [
    ("12 Analytical Row, London", ("12 Analytical Row", None, "London", None, None)),
    ("Jeanne Martin, Atelier J, 1 rue de la Paix, 75002 Paris, Île-de-France",
     ("1 rue de la Paix", None, "Paris", "75002", "Île-de-France")),
    ("Flat 2, 10 Downing St, London SW1A 2AA", ("Flat 2", "10 Downing St", "London", "SW1A 2AA", None)),
    ("179 N Harbor Dr, Redondo Beach CA 90277", ("179 N Harbor Dr", None, "Redondo Beach CA", "90277", None)),
])
def test_a_one_line_address_splits_into_street_zip_and_city(line, expected):
    a = split_address_line(line, name="Jeanne Martin", country="FR")
    assert (a.street1, a.street2, a.city, a.zip, a.state) == expected
    assert a.name == "Jeanne Martin" and a.country == "FR"


@pytest.mark.parametrize("line", [None, "", "London", "Jeanne Martin, Paris"])
def test_an_address_without_street_and_city_is_not_guessed(line):
    assert split_address_line(line, name="Jeanne Martin") is None


def test_webhook_signature_is_hmac_sha256_hex_of_the_raw_body_with_the_nfkd_secret():
    body = (FIXTURES / "event_tracker_updated_delivered.json").read_bytes()
    expected = "hmac-sha256-hex=" + hmac.new(b"sekrit", body, hashlib.sha256).hexdigest()
    assert easypost.signature(body, "sekrit") == expected
    assert easypost.signature_valid(body, expected, "sekrit")
    assert not easypost.signature_valid(body + b" ", expected, "sekrit")
    assert not easypost.signature_valid(body, expected, "other")
    assert not easypost.signature_valid(body, None, "sekrit") and not easypost.signature_valid(body, expected, "")
    # "ﬁ" (a ligature) normalizes to "fi" under NFKD, as EasyPost's clients key the HMAC
    assert easypost.signature(body, "ﬁle") == easypost.signature(body, "file")


def test_the_cheapest_rate_of_a_carrier_we_ship_with_unless_the_operator_chose():
    shipment = json.loads((FIXTURES / "shipment_create_response.json").read_text())
    known = set(easypost.CARRIER_NAMES)
    assert easypost.choose_rate(shipment["rates"], known)["service"] == "ParcelSelect"
    assert easypost.choose_rate(shipment["rates"], known, service="priority")["rate"] == "10.07"
    assert easypost.choose_rate(shipment["rates"], known, carrier="FedEx") is None
    assert easypost.choose_rate(shipment["rates"], {"UPS"}) is None  # USPS only on offer


def test_the_label_prefers_the_pdf_and_falls_back_to_the_image():
    bought = json.loads((FIXTURES / "shipment_buy_response.json").read_text())
    assert easypost.label_location(bought["postage_label"]) == bought["postage_label"]["label_url"]  # no PDF made
    assert easypost.label_location({**bought["postage_label"], "label_pdf_url": "https://x/l.pdf"}) == "https://x/l.pdf"
    assert easypost.label_location(None) is None


PAPERS = ParcelPapers(
    order_no="SO-1001", shipment_no="SO-1001/2", shipment_id="9b1c6f0e-0000-4000-8000-000000000001",
    ship_from=["Savonnerie", "3 Rue des Ateliers", "69001 Lyon", "FR"],
    ship_to=["Łucja Kowalska", "ul. Długa 5", "00-238 Warszawa", "PL"], weight="1.2 kg",
    lines=[PaperLine(1, "CREAM-50", Decimal("12.000000"), "pcs", "B240101-0001"),
           PaperLine(2, "OIL-1L", Decimal("2.5"), "L", "B240102-0002")],
    carrier="USPS", service="Priority", tracking_no="9400100000000000000001",
)


def test_label_text_has_both_addresses_the_numbers_the_weight_and_the_tracking_number():
    text = PdfReader(io.BytesIO(render_label(PAPERS))).pages[0].extract_text()
    for expected in ("Lucja Kowalska", "ul. Dluga 5", "00-238 Warszawa", "3 Rue des Ateliers", "Order SO-1001",
                     "Shipment SO-1001/2", PAPERS.shipment_id, "Weight 1.2 kg", "Carrier USPS (Priority)",
                     "Tracking 9400100000000000000001"):
        assert expected in text, (expected, text)


def test_packing_slip_lists_every_line_and_runs_onto_more_pages():
    many = ParcelPapers(**{**PAPERS.__dict__, "lines": [
        PaperLine(n, f"SKU-{n}", Decimal(n), "pcs", f"LOT-{n:03d}") for n in range(1, 121)]})
    reader = PdfReader(io.BytesIO(render_packing_slip(many)))
    assert len(reader.pages) > 1
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert all(f"LOT-{n:03d}" in text for n in range(1, 121))
    assert text.count("Order SO-1001") == len(reader.pages)  # every page says whose box it is
