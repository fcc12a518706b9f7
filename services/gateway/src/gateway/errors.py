"""422 answers that do not echo secrets. FastAPI's validation errors carry the offending
`input`; for a connector's webhook secret or API token that would hand the value back in the
response (and into any log or proxy that keeps responses). Those inputs are left out."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from gateway.models import SECRET_FIELDS


def _holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k in SECRET_FIELDS or _holds_secret(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_secret(v) for v in value)
    return False


def redacted(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        if any(part in SECRET_FIELDS for part in err.get("loc", ())) or _holds_secret(err.get("input")):
            err = {k: v for k, v in err.items() if k != "input"}
        out.append(err)
    return out


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": jsonable_encoder(redacted(list(exc.errors())))}, status_code=422)
