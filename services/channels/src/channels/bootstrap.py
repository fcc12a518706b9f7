"""Composition root: settings, the handlers (Shipped, ItemDefined), the HTTP API and the
background jobs (fulfillment reports, order fetches for thin notices, scheduled reconciliation)."""

from __future__ import annotations

from pathlib import Path

from channels.api import make_api
from channels.fulfillment_sync import sync_fulfillments
from channels.handlers import on_item_defined, on_shipped
from channels.order_import import fetch_orders, reconcile_orders
from channels.settings import Settings
from contracts.events import ItemDefined, Shipped
from eventkit import Service

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: Settings | None = None) -> Service:
    return Service(
        settings or Settings(),
        migrations=MIGRATIONS,
        handlers={Shipped: on_shipped, ItemDefined: on_item_defined},
        http_app=make_api,
        background=[sync_fulfillments, fetch_orders, reconcile_orders],
    )


def main() -> None:
    build().run()
