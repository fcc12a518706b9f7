"""422 answers that do not echo secrets. FastAPI's validation errors carry the offending
`input`; for a webhook secret or an API token that would hand the value back in the response
(and into any log or proxy that keeps responses). Those inputs are left out. Used by every
HTTP API that accepts credentials (the gateway, channels)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def _holds_secret(value: Any, names: Collection[str]) -> bool:
    if isinstance(value, dict):
        return any(k in names or _holds_secret(v, names) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_secret(v, names) for v in value)
    return False


def redacted(errors: list[dict[str, Any]], names: Collection[str]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        if any(part in names for part in err.get("loc", ())) or _holds_secret(err.get("input"), names):
            err = {k: v for k, v in err.items() if k != "input"}
        out.append(err)
    return out


def secret_safe_validation_errors(
    names: Collection[str],
    rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Callable[[Request, RequestValidationError], Awaitable[JSONResponse]]:
    """An exception handler for RequestValidationError that never echoes the fields `names`;
    `rewrite`, if given, then rewords each error (e.g. a field's shape told in words)."""
    async def handler(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = redacted(list(exc.errors()), names)
        if rewrite is not None:
            errors = [rewrite(err) for err in errors]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    return handler
