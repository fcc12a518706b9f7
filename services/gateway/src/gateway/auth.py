"""API keys with roles: an operator may do everything, a viewer may only read (GET).
The key travels in the `X-API-Key` header; the console keeps it in the browser."""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from gateway.settings import Role

# auto_error=False: we answer 401 ourselves, with a reason, instead of FastAPI's 403.
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key (operator or viewer)")

_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def role_of(key: str, keys: dict[str, Role]) -> Role | None:
    # Constant-time comparison against every key, so timing does not reveal key prefixes.
    found = None
    for known, role in keys.items():
        if secrets.compare_digest(known.encode(), key.encode()):
            found = role
    return found


async def require_key(request: Request, key: str | None = Security(api_key_header)) -> Role:
    if not key:
        raise HTTPException(401, "missing API key (header X-API-Key)", headers={"WWW-Authenticate": "ApiKey"})
    role = role_of(key, request.app.state.settings.api_keys)
    if role is None:
        raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "ApiKey"})
    if role != Role.operator and request.method not in _READ_METHODS:
        raise HTTPException(403, f"role '{role}' may only read; this needs an operator key")
    return role
