"""Composition root: settings, handlers, HTTP API and the e-mail sender in one Service."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from contracts.events import (
    LotHeld, LotReleased, OrderAllocated, OrderCancelled, OrderPlaced, PromiseChanged, PurchaseOrderPlaced, RecallOpened,
)
from eventkit import Service
from shipping.api import make_api
from shipping.handlers import on_order_allocated, on_order_cancelled, on_order_placed, on_promise_changed
from shipping.notifier import send_notifications
from shipping.recalls import on_lot_held, on_lot_released, on_recall_opened
from shipping.settings import Settings
from shipping.supplier_orders import on_purchase_order_placed

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: Settings | None = None) -> Service:
    settings = settings or Settings()
    return Service(
        settings,
        migrations=MIGRATIONS,
        handlers={
            OrderPlaced: partial(on_order_placed, confirmation_wait=settings.confirmation_wait),
            OrderAllocated: on_order_allocated,
            OrderCancelled: on_order_cancelled,
            PromiseChanged: on_promise_changed,
            PurchaseOrderPlaced: on_purchase_order_placed,
            LotHeld: on_lot_held,
            LotReleased: on_lot_released,
            RecallOpened: on_recall_opened,
        },
        http_app=make_api,
        background=[send_notifications],
    )


def main() -> None:
    build().run()
