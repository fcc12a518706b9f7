"""Whole pieces: requirements of count items round up, lots give whole pieces, releases give
back whole pieces; mass and volume keep their decimals."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from contracts.units import Unit
from inventory.domain.catalog import item_problems
from inventory.domain.fefo import LotSupply, available, choose_lots, choose_to_release
from inventory.domain.pieces import fractional_pieces, give_down, need_up
from inventory.domain.planning import Ingredient, Recipe, batch_for, material_needs, proportional_excess

pytestmark = pytest.mark.unit
TODAY = date(2030, 1, 10)


def lot(lot_no: str, available_: str, days: int) -> LotSupply:
    return LotSupply(lot_no, lot_no, D(available_), TODAY + timedelta(days=days), TODAY)


def test_requirements_of_pieces_round_up_and_other_units_do_not():
    assert need_up(D("51.020409"), "pcs") == D(52)
    assert need_up(D("51"), Unit.pcs) == D(51)
    assert need_up(D("51.020409"), "kg") == D("51.020409")
    assert give_down(D("1.5"), "pcs") == D(1) and give_down(D("1.5"), "L") == D("1.5")
    assert fractional_pieces(D("1.5"), "pcs") and not fractional_pieces(D("2"), "pcs")
    assert not fractional_pieces(D("1.5"), "kg")


def test_a_batch_needs_whole_labels_even_with_a_yield_below_one():
    # 50 jars at 98% yield need 51.020408... labels: 52 are reserved, never 51.020409.
    recipe = Recipe("CREAM", 1, Unit.pcs, (Ingredient("LABEL", D(1), Unit.pcs), Ingredient("OIL", D("0.01"), Unit.kg)),
                    D(50), D(10), D("0.98"), 2)
    needs = {n.sku: n.quantity for n in material_needs(D(50), "pcs", recipe, {"LABEL": Unit.pcs, "OIL": Unit.kg})}
    assert needs == {"LABEL": D(52), "OIL": D("0.510205")}


def test_a_batch_of_a_product_counted_in_pieces_is_whole():
    recipe = Recipe("SOAP", 1, Unit.pcs, (Ingredient("OIL", D("0.1"), Unit.kg),), D("2.5"), D("2.5"), D(1), 1)
    assert batch_for(D(1), "pcs", recipe) == D(3)


def test_fefo_never_splits_a_piece_across_lots():
    lots = [lot("A", "1.5", 1), lot("B", "3", 2)]
    pick = choose_lots(lots, D(2), TODAY, whole=True)
    assert [(t.lot.lot_no, t.quantity) for t in pick.takes] == [("A", D(1)), ("B", D(1))] and pick.missing == 0
    assert available(lots, TODAY, whole=True) == D(4)
    # A fractional demand of pieces asks for the whole piece.
    assert choose_lots(lots, D("0.5"), TODAY, whole=True).taken == D(1)
    # A lot with less than one piece free gives nothing.
    assert choose_lots([lot("C", "0.5", 1)], D(1), TODAY, whole=True).takes == []
    # Mass is split as it comes.
    assert [t.quantity for t in choose_lots(lots, D(2), TODAY).takes] == [D("1.5"), D("0.5")]


def test_releases_give_back_whole_pieces():
    held = [lot("A", "3", 1), lot("B", "2.5", 2)]
    assert [(t.lot.lot_no, t.quantity) for t in choose_to_release(held, D("3.7"), whole=True).takes] == [("B", D(2)), ("A", D(1))]
    assert proportional_excess({"LABEL": D(52), "OIL": D(1)}, D(50), D(30), {"LABEL": Unit.pcs, "OIL": Unit.kg}) == {
        "LABEL": D(20), "OIL": D("0.4"),
    }


def test_item_definitions_are_checked():
    assert item_problems("Soap", "pcs", D(100)) == []
    assert item_problems("  ", "kg", None) == ["name must not be blank"]
    assert "whole bound" in item_problems("Soap", "pcs", D("2.5"))[0]
