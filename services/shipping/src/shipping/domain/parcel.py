"""What a parcel weighs, from its lines (no I/O).

Shipping learns no item weights from inventory (ItemDefined carries none), so the weight
follows the unit: goods counted in g/kg weigh their quantity, goods in mL/L their volume
times a density, pieces a weight per SKU or a default per piece (settings). The box adds
its own weight. Carriers want ounces (EasyPost's parcel weight), people grams."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

GRAMS_PER_OUNCE = Decimal("28.349523125")

_MASS_G = {"g": Decimal(1), "kg": Decimal(1000)}
_VOLUME_ML = {"mL": Decimal(1), "L": Decimal(1000)}


@dataclass(frozen=True)
class WeightRules:
    piece_weight_g: Decimal = Decimal(250)
    item_weights_g: Mapping[str, Decimal] = field(default_factory=dict)  # per SKU, grams per piece
    liquid_density_g_per_ml: Decimal = Decimal(1)
    packaging_weight_g: Decimal = Decimal(0)


def line_weight_g(sku: str, quantity: Decimal, unit: str, rules: WeightRules) -> Decimal:
    if unit in _MASS_G:
        return quantity * _MASS_G[unit]
    if unit in _VOLUME_ML:
        return quantity * _VOLUME_ML[unit] * rules.liquid_density_g_per_ml
    return quantity * Decimal(rules.item_weights_g.get(sku, rules.piece_weight_g))


def parcel_weight_g(lines: Iterable[tuple[str, Decimal, str]], rules: WeightRules) -> Decimal:
    """Grams, rounded to one: the goods of every (sku, quantity, unit) line plus the box."""
    goods = sum((line_weight_g(sku, q, unit, rules) for sku, q, unit in lines), Decimal(0))
    return (goods + rules.packaging_weight_g).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def ounces(grams: Decimal) -> Decimal:
    """EasyPost's parcel weight is in ounces (one decimal is what its docs show)."""
    return (grams / GRAMS_PER_OUNCE).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def shown_weight(grams: Decimal) -> str:
    """"850 g", "12.4 kg": what the label and the packing slip print."""
    if grams < 1000:
        return f"{grams:f} g"
    return f"{(grams / 1000).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f} kg"
