"""The demo's suppliers fit its catalog: every material they supply is a demo raw material,
packs and minimums of piece-counted materials are whole, each material has one preferred
supplier (suggestions name it), and every raw material can be bought from someone."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from devstack.demo import RAW_MATERIALS, SUPPLIERS

pytestmark = pytest.mark.unit


def test_demo_suppliers_fit_the_demo_catalog():
    units = {sku: unit for sku, _, unit, _ in RAW_MATERIALS}
    preferred = Counter()
    for _, email, _, materials in SUPPLIERS:
        assert "@" in email
        for sku, (lead, pack, moq, price, is_preferred) in materials.items():
            assert sku in units and lead >= 0 and Decimal(pack) > 0 and Decimal(moq) >= 0 and Decimal(price) >= 0
            if units[sku] == "pcs":
                assert Decimal(pack) == Decimal(pack).to_integral_value() and Decimal(moq) == Decimal(moq).to_integral_value()
            preferred[sku] += is_preferred
    supplied = {sku for *_, materials in SUPPLIERS for sku in materials}
    assert supplied >= set(units) - {"DISTILLED-WATER"}  # water comes from the tap
    assert all(n == 1 for n in preferred.values())
