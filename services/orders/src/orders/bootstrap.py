"""Composition root of the orders service."""

from __future__ import annotations

from pathlib import Path

from eventkit import Service
from orders.api import make_api
from orders.handlers import OrderHandlers
from orders.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: Settings) -> Service:
    return Service(
        settings,
        migrations=MIGRATIONS,
        handlers=OrderHandlers(settings.handling_days, settings.max_line_quantity).handlers(),
        http_app=make_api,
    )


def main() -> None:
    build(Settings()).run()
