"""Order lines checked at the door against the catalog replica."""

from decimal import Decimal as D

import pytest

from orders.domain.catalog_rules import CatalogEntry, Line, order_problems

pytestmark = pytest.mark.unit

CATALOG = {
    "SOAP": CatalogEntry("SOAP", "finished", "pcs", True, D(500)),
    "CREAM": CatalogEntry("CREAM", "finished", "kg", True),
    "OIL": CatalogEntry("OIL", "raw", "kg", False),
    "OLD": CatalogEntry("OLD", "finished", "pcs", True, active=False),
}
MAX = D(100_000)


def problems(sku: str, quantity: str, unit: str, line_no: int = 2) -> list[str]:
    return order_problems([Line(line_no, sku, D(quantity), unit)], CATALOG, MAX)


def test_lines_that_fit_pass():
    assert problems("SOAP", "500", "pcs") == [] and problems("CREAM", "2500", "g") == []
    assert problems("CREAM", "100000", "kg") == []


@pytest.mark.parametrize(
    "line, words",
    [
        (("GHOST", "1", "pcs"), "line 2: unknown SKU GHOST (if the item was created a moment ago, the catalog may"),
        (("OIL", "1", "kg"), "line 2: OIL is a raw item, not for sale"),
        (("OLD", "1", "pcs"), "line 2: OLD is no longer sold"),
        (("SOAP", "2", "kg"), "line 2: SOAP is kept in pcs (count); kg is a mass unit"),
        (("CREAM", "1", "L"), "line 2: CREAM is kept in kg (mass); L is a volume unit"),
        (("SOAP", "1.5", "pcs"), "line 2: SOAP is counted in whole pieces, not 1.5 pcs"),
        (("SOAP", "501", "pcs"), "line 2: 501 pcs of SOAP is more than 500 pcs, the most one order line of SOAP may ask for"),
        (("CREAM", "100000.5", "kg"), "is more than 100000 kg, the most any order line may ask for"),
        (("SOAP", "999999999999", "pcs"), "more than 500 pcs"),
    ],
)
def test_every_refusal_names_its_line_and_reason(line, words):
    found = problems(*line)
    assert any(words in p for p in found), found


def test_every_line_is_checked():
    lines = [Line(1, "GHOST", D(1), "pcs"), Line(2, "SOAP", D(1), "pcs"), Line(3, "SOAP", D("0.5"), "pcs")]
    found = order_problems(lines, CATALOG, MAX)
    assert [p.split(":")[0] for p in found] == ["line 1", "line 3"]


def test_an_unknown_sku_that_differs_only_in_case_names_the_catalogs_sku():
    found = order_problems([Line(1, "soap", D(1), "pcs")], CATALOG, MAX, {"soap": "SOAP"})
    assert found == ["line 1: unknown SKU soap: did you mean SOAP?"]
