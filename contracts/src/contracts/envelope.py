"""The envelope every Kafka message carries.

Wire format: the Kafka value is the JSON of `Envelope`; `data` holds the event body, whose
model is found through `event_type` + `version` in the topic registry. The W3C trace context
travels in the Kafka headers (`traceparent`, `tracestate`), next to copies of `event_type`
and `event_id` so tools can route without parsing the value.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Envelope(BaseModel):
    # Unknown fields are kept, not rejected: a newer producer may add envelope fields
    # within the same major version and older consumers must keep working.
    model_config = ConfigDict(frozen=True, extra="allow")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=_now)
    producer: str
    # The saga this message belongs to: the order id for order-driven work, otherwise the
    # id of whatever started the chain (a batch, a recipe, a goods receipt).
    correlation_id: str
    # The event_id of the message whose handling produced this one; None for a chain's start.
    causation_id: str | None = None
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Envelope":
        return cls.model_validate_json(raw)
