"""Views composed from several services: an order with everything that happened to it,
and the two traces. Calls to different services run concurrently."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import HTTPException

from gateway.downstream import Downstream

# How many orders of a recall list are looked up at once (a lot may reach many orders).
_RECALL_CONCURRENCY = 8


async def order_view(ds: Downstream, order_id: str) -> dict[str, Any]:
    """The order (with its timeline) plus allocations, batches and shipments.

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


async def forward_trace(ds: Downstream, lot_id: str) -> dict[str, Any]:
    """Lot -> batches -> finished lots -> orders -> customers: the recall list.
    Every order's customer comes from the orders service; if it is down the answer is 503,
    never a silently shorter recall list."""
    trace = await ds.get("inventory", f"/lots/{lot_id}/trace")
    order_ids = order_ids_in(trace)
    gate = asyncio.Semaphore(_RECALL_CONCURRENCY)

    async def one(order_id: str) -> dict[str, Any]:
        async with gate:
            order = await ds.get_or_none("orders", f"/orders/{order_id}")
        if order is None:
            return {"order_id": order_id, "order_no": None, "status": None, "customer": None}
        return {
            "order_id": order_id,
            "order_no": order.get("order_no"),
            "status": order.get("status"),
            "customer": order.get("customer"),
        }

    recall = await asyncio.gather(*(one(o) for o in order_ids))
    return {"lot_id": lot_id, "trace": trace, "recall": list(recall)}


def order_ids_in(trace: Any) -> list[str]:
    """The distinct order ids the inventory trace reaches, in first-seen order. The trace
    nests orders under finished lots, so walk it rather than assume one shape."""
    seen: dict[str, None] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            value = node.get("order_id")
            if isinstance(value, str) and value:
                seen.setdefault(value, None)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(trace)
    return list(seen)
