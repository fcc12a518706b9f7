"""Composition root: settings, handlers, HTTP API and migrations wired into the kit's Service."""

from __future__ import annotations

from pathlib import Path

from eventkit import Service
from purchasing.api import make_api
from purchasing.handlers import HANDLERS
from purchasing.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: Settings | None = None) -> Service:
    return Service(settings or Settings(), migrations=MIGRATIONS, handlers=HANDLERS, http_app=make_api)


def main() -> None:
    build().run()
