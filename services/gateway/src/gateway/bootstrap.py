"""Composition root: settings from the environment, the app, uvicorn."""

from __future__ import annotations

import uvicorn

from gateway.app import create_app
from gateway.settings import Settings


def main() -> None:
    settings = Settings()
    # uvicorn handles SIGTERM/SIGINT: stops accepting, lets running requests finish (up to the
    # grace period), then runs the lifespan exit, which closes the shared HTTP client.
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port,
                log_level="info", timeout_graceful_shutdown=10)
