"""Purchasing's replica of inventory's catalog (ItemDefined, newest revision wins): what is
bought is checked at the door against it - a known, active material, in a unit of its
dimension - without asking inventory."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import events as ev
from contracts.units import IncompatibleUnits, convert, is_count
from eventkit import Context
from purchasing.errors import Refused

STEP = Decimal("0.000001")


@dataclass(frozen=True)
class Material:
    sku: str
    name: str
    kind: str
    base_unit: str
    active: bool


async def on_item_defined(ctx: Context, event: ev.ItemDefined) -> None:
    await ctx.session.execute(
        text(
            "INSERT INTO catalog_items (sku, name, kind, base_unit, active, revision) "
            "VALUES (:sku, :name, :kind, :unit, :active, :rev) "
            "ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, base_unit = EXCLUDED.base_unit, "
            "active = EXCLUDED.active, revision = EXCLUDED.revision, updated_at = now() "
            "WHERE catalog_items.revision < EXCLUDED.revision"
        ),
        {"sku": event.sku, "name": event.name, "kind": event.kind, "unit": event.base_unit.value,
         "active": event.active, "rev": event.revision},
    )


async def materials(session: AsyncSession, skus: list[str]) -> dict[str, Material]:
    rows = await session.execute(
        text("SELECT sku, name, kind, base_unit, active FROM catalog_items WHERE sku = ANY(:s)"), {"s": sorted(set(skus))}
    )
    return {r.sku: Material(r.sku, r.name, r.kind, r.base_unit, r.active) for r in rows}


async def catalog_item(session: AsyncSession, sku: str) -> dict | None:
    row = (await session.execute(
        text("SELECT sku, name, kind, base_unit, active, revision, updated_at FROM catalog_items WHERE sku = :s"),
        {"s": sku})).first()
    return dict(row._mapping) if row else None


def bought(found: Material | None, sku: str) -> Material:
    """The material, or Refused(422): unknown here, inactive, or made rather than bought."""
    if found is None:
        raise Refused(422, f"unknown material {sku}: define it in the catalog first (or wait a second for it to arrive)")
    if not found.active:
        raise Refused(422, f"material {sku} is inactive")
    if found.kind == "finished":
        raise Refused(422, f"{sku} is a finished good: it is made and sold, not bought")
    return found


def in_base_unit(material: Material, quantity: Decimal, unit: str, what: str) -> Decimal:
    """`quantity` in the material's base unit, or Refused(422) naming the line (`what`)."""
    try:
        base = convert(quantity, unit, material.base_unit).quantize(STEP)
    except IncompatibleUnits:
        raise Refused(422, f"{what}: unit {unit} does not fit {material.sku}, kept in {material.base_unit}") from None
    if base <= 0:
        raise Refused(422, f"{what}: {quantity} {unit} is less than the smallest quantity of {material.base_unit}")
    if is_count(material.base_unit) and base != base.to_integral_value():
        raise Refused(422, f"{what}: {material.sku} is counted in whole pieces, {quantity} {unit} is not")
    return base
