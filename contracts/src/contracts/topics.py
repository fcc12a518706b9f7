"""The topic registry: which event goes on which topic, keyed by what, with how many partitions.

Names follow `<producer>.<event-in-kebab-case>.v<major>`. A dead-letter topic `<topic>.dlt`
exists beside every topic. An optional environment prefix (`<prefix>.<name>`) lets several
stacks or test runs share one cluster without seeing each other's messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contracts import events as ev
from contracts.envelope import Envelope


@dataclass(frozen=True)
class Topic:
    producer: str
    event: type[ev.Event]
    partitions: int = 4
    # Compacted topics keep the latest message per key (used for recipes: current state).
    compacted: bool = False

    @property
    def name(self) -> str:
        kebab = re.sub(r"(?<!^)(?=[A-Z])", "-", self.event.event_type).lower()
        return f"{self.producer}.{kebab}.v{self.event.version}"

    @property
    def dead_letter(self) -> str:
        return f"{self.name}.dlt"


TOPICS: tuple[Topic, ...] = (
    Topic("orders", ev.OrderPlaced),
    Topic("orders", ev.OrderCancelled),
    Topic("orders", ev.PromiseChanged),
    Topic("channels", ev.ChannelOrderReceived),
    Topic("channels", ev.ChannelOrderCancelled),
    # The catalog (current definition per SKU, like recipes): compacted, keyed by SKU.
    Topic("inventory", ev.ItemDefined, partitions=2, compacted=True),
    Topic("inventory", ev.MaterialsReserved),
    Topic("inventory", ev.MaterialsShort),
    Topic("inventory", ev.OrderAllocated),
    Topic("inventory", ev.StockReleased),
    Topic("inventory", ev.GoodsReceived),
    # Holds keyed by lot id (two topics: consumers keep the highest hold_seq), recalls by recall id.
    Topic("inventory", ev.LotHeld),
    Topic("inventory", ev.LotReleased),
    Topic("inventory", ev.RecallOpened),
    # Make to stock: the crossing keyed by SKU, the batch for stock by its plan (= batch) id.
    Topic("inventory", ev.ReorderPointReached),
    Topic("inventory", ev.ReplenishmentPlanned),
    # Keyed by purchase order id: a PO's placement and cancellation stay in order.
    Topic("purchasing", ev.PurchaseOrderPlaced),
    Topic("purchasing", ev.PurchaseOrderCancelled),
    Topic("production", ev.RecipePublished, partitions=2, compacted=True),
    Topic("production", ev.BatchScheduled),
    Topic("production", ev.BatchStarted),
    Topic("production", ev.BatchCompleted),
    Topic("production", ev.BatchCancelled),
    Topic("shipping", ev.Shipped),
    Topic("shipping", ev.Delivered),
    Topic("shipping", ev.ShipmentWithdrawn),
)

_BY_TYPE = {t.event.event_type: t for t in TOPICS}
_BY_NAME = {t.name: t for t in TOPICS}


def topic_for(event: type[ev.Event] | ev.Event | str) -> Topic:
    event_type = event if isinstance(event, str) else event.event_type
    return _BY_TYPE[event_type]


def topic_named(name: str) -> Topic | None:
    return _BY_NAME.get(name)


def qualified(name: str, prefix: str = "") -> str:
    """The topic name as it exists in a cluster shared under `prefix`."""
    return f"{prefix}.{name}" if prefix else name


def unqualified(name: str, prefix: str = "") -> str:
    return name[len(prefix) + 1 :] if prefix and name.startswith(prefix + ".") else name


class UnknownEvent(ValueError):
    pass


def parse_body(envelope: Envelope) -> ev.Event:
    """Validate the envelope's `data` against the model its `event_type` names.

    Raises UnknownEvent for an event type this registry does not know or a newer major
    version, and pydantic.ValidationError for a body that does not fit its model."""
    topic = _BY_TYPE.get(envelope.event_type)
    if topic is None:
        raise UnknownEvent(f"unknown event_type {envelope.event_type!r}")
    if envelope.version != topic.event.version:
        raise UnknownEvent(
            f"{envelope.event_type} version {envelope.version} is not the supported v{topic.event.version}"
        )
    return topic.event.model_validate(envelope.data)
