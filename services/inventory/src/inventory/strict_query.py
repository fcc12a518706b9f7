"""Unknown query parameters are refused (422), not ignored: a misspelt filter
(`?lotno=L1`) would otherwise answer with every row, which reads as a wrong answer rather
than a mistake. The declared parameters are taken from the route itself (its dependencies
included), so the check needs no list kept beside each endpoint."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError


def _declared(route) -> frozenset[str]:
    # Kept on the route (routes are not hashable); walked here rather than with FastAPI's
    # internal flattening helpers, which change between releases.
    cached = getattr(route, "_declared_query", None)
    if cached is not None:
        return cached
    names: set[str] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        names.update(field.alias for field in dependant.query_params)
        pending.extend(dependant.dependencies)
    route._declared_query = frozenset(names)
    return route._declared_query


async def reject_unknown_query(request: Request) -> None:
    """An app-level dependency: 422 naming each query parameter the route does not declare."""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant") or not request.query_params:
        return
    known = _declared(route)
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in known]
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise RequestValidationError([
            {"type": "extra_forbidden", "loc": ("query", name), "input": request.query_params.get(name),
             "msg": f"unknown query parameter {name!r} (accepted: {accepted})"}
            for name in unknown
        ])
