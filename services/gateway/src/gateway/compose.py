"""Views composed from several services: an order with everything that happened to it, a
batch with the numbers of the orders it covers, and the two traces. Calls to different
services run concurrently."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import HTTPException

from gateway.downstream import Downstream

# Orders of a recall list looked up per call (orders takes up to 500; 100 ids keep the URL
# within a few kB).
_CONTACTS_PER_CALL = 100


async def order_view(ds: Downstream, order_id: str) -> dict[str, Any]:
    """The order (with its timeline) plus allocations and per-line supply state (inventory),
    the batches covering it (production), its shipments (shipping) and, for an order from a
    shop, the shop's lines as they mapped to ours (channels).

    The order itself is required (404/503 if the orders service says so). The other parts
    degrade: if one service is down the operator still sees the order, and `unavailable`
    names what is missing, instead of losing the whole page to one sick service."""
    order, allocations, batches, shipments = await asyncio.gather(
        ds.get("orders", f"/orders/{order_id}"),
        _part(ds, "inventory", f"/orders/{order_id}/allocations"),
        _part(ds, "production", f"/orders/{order_id}/batches"),
        _part(ds, "shipping", "/shipments", {"order_id": order_id}),
        return_exceptions=True,
    )
    if isinstance(order, BaseException):
        raise order
    unavailable: dict[str, Any] = {}
    view: dict[str, Any] = {"order": order}
    for name, service, part in (
        ("allocations", "inventory", allocations),
        ("batches", "production", batches),
        ("shipments", "shipping", shipments),
    ):
        if isinstance(part, HTTPException):
            view[name] = []
            unavailable[service] = part.detail
        elif isinstance(part, BaseException):
            raise part
        else:
            view[name] = part
    # An order from a shop: the shop's lines and how each mapped to our SKU (channels). Asked
    # only for those, after the order says where it came from.
    view["shop_order"] = None
    if order.get("channel") not in (None, "gateway"):
        try:
            view["shop_order"] = await _part(ds, "channels", f"/orders/{order_id}/shop-order") or None
        except HTTPException as exc:
            unavailable["channels"] = exc.detail
    # Inventory answers with the order's allocation state: the open allocations, and per line
    # how much is allocated, promised to a plan, waiting for materials (and why).
    stock_state = view["allocations"]
    if isinstance(stock_state, dict):
        view["allocations"] = stock_state.get("allocations", [])
        view["supply"] = stock_state.get("lines", [])
    else:
        view["supply"] = []
    view["unavailable"] = unavailable
    return view


async def _part(ds: Downstream, service: str, path: str, params: Any = None) -> Any:
    # A service that has not heard of the order yet has nothing for it: an empty list.
    found = await ds.get_or_none(service, path, params)
    return [] if found is None else _items(found)


def _items(body: Any) -> Any:
    # Lists may come bare or wrapped ({"items": [...]}); the view always shows the list.
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return body["items"]
    return body


async def backward_trace(ds: Downstream, order_id: str) -> dict[str, Any]:
    """Order -> shipments -> finished lots -> batches -> ingredient lots -> supplier lots.
    Both parts are required: a trace with a hole in it would mislead."""
    trace, shipments = await asyncio.gather(
        ds.get("inventory", f"/orders/{order_id}/trace"),
        ds.get("shipping", "/shipments", {"order_id": order_id}),
    )
    return {"order_id": order_id, "trace": trace, "shipments": _items(shipments)}


async def batch_view(ds: Downstream, batch_id: str) -> dict[str, Any]:
    """A batch (production) with the number of each order it covers (orders): production
    knows orders by id only, operators by number. The numbers degrade: with the orders
    service down the batch is still shown, its covers without numbers."""
    batch = await ds.get("production", f"/batches/{batch_id}")
    covers = batch.get("covers") if isinstance(batch, dict) else None
    if covers:
        try:
            known = await _order_contacts(ds, {c["order_id"] for c in covers if isinstance(c, dict) and c.get("order_id")})
        except HTTPException:
            known = {}
        for cover in covers:
            if isinstance(cover, dict):
                cover["order_no"] = known.get(cover.get("order_id"), {}).get("order_no")
    return batch


async def _order_contacts(ds: Downstream, order_ids: set[str]) -> dict[str, dict[str, Any]]:
    """Number, status and customer of each order orders knows, by id. One call per 100 orders
    rather than one per order: a lot that went into fifty batches reaches dozens of orders,
    and each call waits for a core on a busy machine."""
    ids = sorted(order_ids)
    chunks = [ids[i:i + _CONTACTS_PER_CALL] for i in range(0, len(ids), _CONTACTS_PER_CALL)]
    answers = await asyncio.gather(*(ds.get("orders", "/order-contacts", params={"order_id": c}) for c in chunks))
    return {o["order_id"]: o for answer in answers for o in answer}


async def forward_trace(ds: Downstream, lot_id: str) -> dict[str, Any]:
    """Lot -> batches -> finished lots -> orders -> customers: the recall list.
    Every order's customer comes from the orders service; if it is down the answer is 503,
    never a silently shorter recall list."""
    trace = await ds.get("inventory", f"/lots/{lot_id}/trace")
    reached = orders_in(trace)
    known = await _order_contacts(ds, set(reached))
    # An order the orders service does not know stays on the list (with what inventory knows).
    recall = [
        {"order_id": order_id, "order_no": known.get(order_id, {}).get("order_no"),
         "status": known.get(order_id, {}).get("status"), "customer": known.get(order_id, {}).get("customer"),
         "lots": lots}
        for order_id, lots in reached.items()
    ]
    # `lot_id` may have been a printed lot number: answer with the id inventory found.
    return {"lot_id": trace.get("lot", {}).get("lot_id", lot_id), "trace": trace, "recall": recall}


def orders_in(trace: Any) -> dict[str, list[dict[str, Any]]]:
    """Every order the inventory trace reaches (first-seen order), with the finished lots it
    got. The trace nests orders under finished lots at any depth, so walk it."""
    found: dict[str, list[dict[str, Any]]] = {}

    def walk(node: Any, lot: dict[str, Any] | None) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child, lot)
            return
        if not isinstance(node, dict):
            return
        lot = node["lot"] if isinstance(node.get("lot"), dict) else lot
        order_id = node.get("order_id")
        if isinstance(order_id, str) and order_id:
            lots = found.setdefault(order_id, [])
            if lot is not None and "quantity" in node:
                lots.append({"lot_id": lot.get("lot_id"), "lot_no": lot.get("lot_no"), "sku": lot.get("sku"),
                             "quantity": node.get("quantity"), "shipped": node.get("shipped"),
                             "status": node.get("status")})
        for key, child in node.items():
            if key != "lot":
                walk(child, lot)

    walk(trace, None)
    return found


async def item_replicas(ds: Downstream, sku: str) -> dict[str, Any]:
    """The item's revision in inventory (the owner) and in the replicas of orders, production
    and purchasing, and the recipe version production publishes and inventory has replicated."""
    item, in_orders, in_production, in_purchasing, recipe, inventory_recipe = await asyncio.gather(
        ds.get("inventory", f"/items/{sku}"),
        ds.get_or_none("orders", f"/catalog/{sku}"),
        ds.get_or_none("production", f"/catalog/{sku}"),
        ds.get_or_none("purchasing", f"/catalog/{sku}"),
        ds.get_or_none("production", f"/recipes/{sku}"),
        ds.get_or_none("inventory", f"/recipes/{sku}"),
    )
    revision = item["revision"]
    orders_rev = in_orders["revision"] if in_orders else None
    production_rev = in_production["revision"] if in_production else None
    purchasing_rev = in_purchasing["revision"] if in_purchasing else None
    recipe_version = recipe["recipe_version"] if recipe else None
    inventory_recipe = inventory_recipe["recipe_version"] if inventory_recipe else None
    return {
        "sku": sku, "revision": revision, "orders": orders_rev, "production": production_rev,
        "purchasing": purchasing_rev, "recipe_version": recipe_version, "inventory_recipe_version": inventory_recipe,
        "everywhere": orders_rev == revision and production_rev == revision and purchasing_rev == revision
        and recipe_version == inventory_recipe,
    }
