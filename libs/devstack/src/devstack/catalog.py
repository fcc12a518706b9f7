"""Waiting for the catalog to reach the services that replicate it, through the gateway:
orders and production learn items from ItemDefined and inventory learns recipes from
RecipePublished, about a second after the owning service answered. A tool that creates items
and then publishes recipes or places orders polls this instead of sleeping."""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from devstack.waiting import poll


async def replicated(client: httpx.AsyncClient, skus: Iterable[str], *, with_recipe: Iterable[str] = (),
                     deadline: float = 60.0) -> None:
    """Until every SKU's item (and, for `with_recipe`, its recipe) has arrived everywhere.
    `client` talks to the gateway with an API key."""
    recipes = set(with_recipe)

    async def arrived(sku: str) -> bool:
        r = await client.get(f"/api/items/{sku}/replicas")
        if r.status_code != 200:
            return False
        body = r.json()
        return body["everywhere"] and (sku not in recipes or body["inventory_recipe_version"] is not None)

    for sku in [*skus, *recipes]:
        await poll(lambda s=sku: arrived(s), deadline=deadline, what=f"{sku} in every catalog replica")
