"""Suppliers and their terms per material (lead time, pack size, minimum order quantity,
price, the preferred flag). At most one preferred supplier per material: marking one
preferred unmarks the other in the same transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from purchasing import catalog
from purchasing.domain.ordering import Terms, terms_problems
from purchasing.errors import Refused
from purchasing.schemas import SupplierIn, SupplierOut, TermsIn, TermsOut

_TERMS = (
    "SELECT sm.*, s.name AS supplier_name, c.base_unit FROM supplier_materials sm "
    "JOIN suppliers s USING (supplier_id) LEFT JOIN catalog_items c ON c.sku = sm.material_sku "
)


async def add_supplier(session: AsyncSession, body: SupplierIn) -> SupplierOut:
    taken = await session.execute(text("SELECT 1 FROM suppliers WHERE lower(name) = lower(:n)"), {"n": body.name})
    if taken.first():
        raise Refused(409, f"a supplier named {body.name} exists already")
    supplier_id = str(uuid.uuid4())
    await session.execute(
        text("INSERT INTO suppliers (supplier_id, name, email, phone) VALUES (:id, :name, :email, :phone)"),
        {"id": supplier_id, **body.model_dump()},
    )
    return await supplier(session, supplier_id)


async def supplier(session: AsyncSession, supplier_id: str) -> SupplierOut:
    row = (await session.execute(text("SELECT * FROM suppliers WHERE supplier_id = :id"), {"id": supplier_id})).first()
    if row is None:
        raise Refused(404, f"no supplier {supplier_id}")
    terms = await session.execute(text(_TERMS + "WHERE sm.supplier_id = :id ORDER BY sm.material_sku"), {"id": supplier_id})
    return SupplierOut(**row._mapping, materials=[TermsOut(**t._mapping) for t in terms])


async def suppliers(session: AsyncSession) -> list[SupplierOut]:
    ids = (await session.execute(text("SELECT supplier_id FROM suppliers ORDER BY lower(name)"))).scalars().all()
    return [await supplier(session, i) for i in ids]


async def set_terms(session: AsyncSession, supplier_id: str, sku: str, body: TermsIn) -> TermsOut:
    if (await session.execute(text("SELECT 1 FROM suppliers WHERE supplier_id = :id FOR UPDATE"),
                              {"id": supplier_id})).first() is None:
        raise Refused(404, f"no supplier {supplier_id}")
    material = catalog.bought((await catalog.materials(session, [sku])).get(sku), sku)
    problems = terms_problems(body.pack_size, body.min_order_quantity, material.base_unit)
    if problems:
        raise Refused(422, f"{sku}: " + "; ".join(problems))
    if body.preferred:
        # Serialized per material by the partial unique index; the other one steps down.
        await session.execute(
            text("UPDATE supplier_materials SET preferred = false, updated_at = now() "
                 "WHERE material_sku = :m AND preferred AND supplier_id <> :id"),
            {"m": sku, "id": supplier_id},
        )
    await session.execute(
        text("INSERT INTO supplier_materials (supplier_id, material_sku, lead_time_days, pack_size, min_order_quantity, "
             "price, currency, preferred) VALUES (:id, :m, :lead, :pack, :moq, :price, :cur, :pref) "
             "ON CONFLICT (supplier_id, material_sku) DO UPDATE SET lead_time_days = EXCLUDED.lead_time_days, "
             "pack_size = EXCLUDED.pack_size, min_order_quantity = EXCLUDED.min_order_quantity, "
             "price = EXCLUDED.price, currency = EXCLUDED.currency, preferred = EXCLUDED.preferred, updated_at = now()"),
        {"id": supplier_id, "m": sku, "lead": body.lead_time_days, "pack": body.pack_size,
         "moq": body.min_order_quantity, "price": body.price, "cur": body.currency, "pref": body.preferred},
    )
    row = (await session.execute(text(_TERMS + "WHERE sm.supplier_id = :id AND sm.material_sku = :m"),
                                 {"id": supplier_id, "m": sku})).one()
    return TermsOut(**row._mapping)


async def remove_terms(session: AsyncSession, supplier_id: str, sku: str) -> None:
    gone = await session.execute(
        text("DELETE FROM supplier_materials WHERE supplier_id = :id AND material_sku = :m RETURNING 1"),
        {"id": supplier_id, "m": sku},
    )
    if gone.first() is None:
        raise Refused(404, f"supplier {supplier_id} has no terms for {sku}")


async def terms_of(session: AsyncSession, skus: list[str]) -> dict[str, list[Terms]]:
    """Every supplier's terms per material."""
    rows = await session.execute(text("SELECT * FROM supplier_materials WHERE material_sku = ANY(:s)"),
                                 {"s": sorted(set(skus))})
    out: dict[str, list[Terms]] = {}
    for r in rows:
        out.setdefault(r.material_sku, []).append(
            Terms(r.supplier_id, r.lead_time_days, r.pack_size, r.min_order_quantity, r.price, r.currency, r.preferred)
        )
    return out


async def supplier_terms(session: AsyncSession, supplier_id: str, sku: str) -> Terms | None:
    r = (await session.execute(text("SELECT * FROM supplier_materials WHERE supplier_id = :id AND material_sku = :m"),
                               {"id": supplier_id, "m": sku})).first()
    if r is None:
        return None
    return Terms(r.supplier_id, r.lead_time_days, r.pack_size, r.min_order_quantity, r.price, r.currency, r.preferred)
