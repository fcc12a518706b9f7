"""Composition root: settings, the MaterialsReserved, OrderCancelled, ReplenishmentPlanned
(batches for stock) and ItemDefined (catalog replica) handlers and the HTTP API in one Service."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from contracts.events import ItemDefined, MaterialsReserved, OrderCancelled, ReplenishmentPlanned
from eventkit import Service
from production.api import make_api
from production.handlers import on_item_defined, on_materials_reserved, on_order_cancelled
from production.settings import Settings
from production.stock_batches import on_replenishment_planned

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: Settings | None = None) -> Service:
    settings = settings or Settings()
    return Service(
        settings,
        migrations=MIGRATIONS,
        handlers={
            MaterialsReserved: partial(on_materials_reserved, batches_per_day=settings.batches_per_day),
            OrderCancelled: on_order_cancelled,
            ItemDefined: on_item_defined,
            ReplenishmentPlanned: partial(on_replenishment_planned, batches_per_day=settings.batches_per_day),
        },
        http_app=make_api,
    )


def main() -> None:
    build().run()
