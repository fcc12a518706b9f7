"""Calls to the services' HTTP APIs through the one shared httpx client.

Error policy (what an operator sees):
- a service's 4xx is the caller's problem: passed through with its status and detail;
- a service's 5xx is ours: 502 naming the service;
- a service that cannot be reached or does not answer in time: 503 naming the service.
The gateway itself never answers 500 because a service misbehaved."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import HTTPException, Request
from fastapi.responses import Response

SERVICES = ("orders", "inventory", "production", "shipping", "channels", "purchasing")


class Downstream:
    def __init__(self, client: httpx.AsyncClient, urls: dict[str, str]) -> None:
        self.client = client
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """The raw response, whatever its status; raises 503 only if the service is unreachable."""
        url = self.urls[service] + path
        kwargs: dict[str, Any] = {"params": params, "json": json, "content": content, "headers": headers}
        if timeout is not None:
            kwargs["timeout"] = timeout
        try:
            return await self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise HTTPException(503, f"{service} service did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise HTTPException(503, f"{service} service is unreachable at {self.urls[service]}: {exc}") from exc

    async def request(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The response if it is a success; a 4xx/5xx becomes the HTTPException described above."""
        resp = await self.call(service, method, path, **kwargs)
        raise_for_downstream(service, resp)
        return resp

    async def json(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        resp = await self.request(service, method, path, **kwargs)
        return _body(service, resp)

    async def get(self, service: str, path: str, params: Any = None) -> Any:
        return await self.json(service, "GET", path, params=params)

    async def get_or_none(self, service: str, path: str, params: Any = None) -> Any:
        """GET where 'not found' is an answer (a service that has not heard of the order yet)."""
        resp = await self.call(service, "GET", path, params=params)
        if resp.status_code == 404:
            return None
        raise_for_downstream(service, resp)
        return _body(service, resp)

    async def relay(self, service: str, method: str, path: str, **kwargs: Any) -> Response:
        """Forward a call and answer with the service's status and body unchanged."""
        resp = await self.request(service, method, path, **kwargs)
        return as_response(resp)


async def downstream(request: Request) -> Downstream:
    """FastAPI dependency: the Downstream built in the app lifespan. (async: FastAPI runs a
    plain `def` dependency in its thread pool, a thread hop on every request for a lookup.)"""
    return request.app.state.downstream


def raise_for_downstream(service: str, resp: httpx.Response) -> None:
    if resp.status_code < 400:
        return
    if resp.status_code < 500:
        raise HTTPException(resp.status_code, _detail(resp))
    raise HTTPException(502, f"{service} service failed ({resp.status_code}): {_detail(resp)}")


def as_response(resp: httpx.Response) -> Response:
    """The service's answer as it is: its body bytes are passed on, never decoded and encoded
    again (a list of shipments is large; the services answer compact JSON already)."""
    if not resp.content:
        return Response(status_code=resp.status_code)
    media = resp.headers.get("content-type", "application/json")
    return Response(resp.content, status_code=resp.status_code, media_type=media)


def _detail(resp: httpx.Response) -> Any:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:500] or resp.reason_phrase
    if isinstance(body, dict) and "detail" in body:
        return body["detail"]
    return body


def _body(service: str, resp: httpx.Response) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError as exc:
        raise HTTPException(502, f"{service} service answered with something that is not JSON") from exc
