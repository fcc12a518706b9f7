"""Channels' replica of our catalog (inventory's ItemDefined): kept by revision, read by intake
for the lines nobody mapped.

An order decided against the catalog and an item defined at the same moment must not miss
each other (the order parked on a SKU the item's handler, not seeing the order yet, does not
release). So intake reads the catalog under a shared advisory lock and the ItemDefined handler
holds it exclusively: whichever commits second sees what the first committed. Intake takes it
before it locks a shop order row (`hold_for_intake`), the order of locks the handler uses too."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from channels.domain.sku_mapping import Catalog, CatalogItem, catalog_key
from channels.tables import CatalogItemRow
from contracts.events import ItemDefined
from eventkit import Context

# The advisory lock (Context.lock) between intake (shared) and ItemDefined (exclusive).
CATALOG_LOCK = "channels:catalog"


async def hold_for_intake(ctx: Context) -> None:
    """Hold the catalog lock shared until the transaction ends (asked once per transaction;
    free in the ItemDefined handler, which holds it exclusively)."""
    await ctx.lock(CATALOG_LOCK, shared=True)


async def upsert(session: AsyncSession, item: ItemDefined) -> bool:
    """Keep `item` unless a revision as new or newer is kept; True when it was kept (an older
    or repeated revision changes nothing and answers False)."""
    values = dict(name=item.name, kind=item.kind, base_unit=item.base_unit.value, sellable=item.sellable,
                  active=item.active, revision=item.revision, updated_at=func.now())
    stmt = insert(CatalogItemRow).values(sku=item.sku, **values)
    kept = await session.execute(
        stmt.on_conflict_do_update(index_elements=["sku"], set_=values,
                                   where=CatalogItemRow.revision < stmt.excluded.revision)
        .returning(CatalogItemRow.sku)
    )
    return kept.first() is not None


async def case_slips(session: AsyncSession, skus: Iterable[str]) -> dict[str, str]:
    """Of `skus` meant as ours, those the catalog knows only in another case, with our SKU
    (orders would refuse the line: SKUs are exact there)."""
    wanted = {s for s in skus if s}
    found = await items_named(session, wanted)
    ours = {catalog_key(sku): sku for sku in found}
    return {s: ours[catalog_key(s)] for s in sorted(wanted) if s not in found and catalog_key(s) in ours}


async def items_named(session: AsyncSession, shop_skus: Iterable[str]) -> Catalog:
    """Our items whose SKU a shop SKU names in any case (what intake's catalog match needs)."""
    keys = sorted({catalog_key(s) for s in shop_skus if s and s.strip()})
    if not keys:
        return {}
    rows = (await session.execute(
        select(CatalogItemRow).where(func.upper(CatalogItemRow.sku).in_(keys)))).scalars()
    return {r.sku: CatalogItem(r.sku, r.kind, r.base_unit, r.sellable, r.active) for r in rows}
