"""Composition root: settings, handlers, API and migrations wired into the kit's Service."""

from __future__ import annotations

from pathlib import Path

from contracts.events import (
    BatchCancelled, BatchCompleted, BatchScheduled, OrderCancelled, OrderPlaced, PurchaseOrderCancelled,
    PurchaseOrderPlaced, RecipePublished, Shipped,
)
from eventkit import Service
from inventory.api import make_api
from inventory.handlers.batch_cancelled import on_batch_cancelled
from inventory.handlers.batch_completed import on_batch_completed
from inventory.handlers.batch_scheduled import on_batch_scheduled
from inventory.handlers.order_cancelled import on_order_cancelled
from inventory.handlers.order_placed import on_order_placed
from inventory.handlers.purchase_order_cancelled import on_purchase_order_cancelled
from inventory.handlers.purchase_order_placed import on_purchase_order_placed
from inventory.handlers.recipe_published import on_recipe_published
from inventory.handlers.shipped import on_shipped
from inventory.reorder_rules import scheduled_review
from inventory.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"

HANDLERS = {
    OrderPlaced: on_order_placed,
    RecipePublished: on_recipe_published,
    BatchCompleted: on_batch_completed,
    Shipped: on_shipped,
    OrderCancelled: on_order_cancelled,
    BatchCancelled: on_batch_cancelled,
    BatchScheduled: on_batch_scheduled,
    PurchaseOrderPlaced: on_purchase_order_placed,
    PurchaseOrderCancelled: on_purchase_order_cancelled,
}


def build(settings: Settings | None = None) -> Service:
    return Service(settings or Settings(), migrations=MIGRATIONS, handlers=HANDLERS, http_app=make_api,
                   background=[scheduled_review])


def main() -> None:
    build().run()
