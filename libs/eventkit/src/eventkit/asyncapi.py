"""AsyncAPI 3.0 documents of the services' Kafka traffic, generated with FastStream.

For each service a FastStream `KafkaBroker` (never connected) is declared from what the
service really wires: one subscriber per topic whose event its `Service.handlers` handle,
one publisher per topic the registry says it produces, and one publisher per dead-letter
topic it may write (`<consumed topic>.dlt`). Each message's payload is the envelope with
`data` typed as the event model. FastStream turns the brokers into AsyncAPI; what it cannot
express yet (Kafka message keys, partitions, compaction, consumer group, headers) is added
to the generated document afterwards. `all.json` is the view of an analytics consumer that
reads every topic and every dead-letter topic.

`python -m eventkit.asyncapi` rewrites docs/asyncapi/*.json; `--check` exits 1 when the
committed files differ from what the code and the registry say.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, Literal

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from pydantic import ConfigDict, create_model

from contracts.envelope import Envelope
from contracts.events import Event
from contracts.topics import TOPICS, Topic, topic_for, topic_named
from eventkit.service import Service
from eventkit.settings import ServiceSettings

SERVICES = ("orders", "inventory", "production", "shipping", "channels", "purchasing")
DOCS_DIR = Path(__file__).resolve().parents[4] / "docs" / "asyncapi"
KAFKA_BINDING = "0.4.0"  # the Kafka bindings version FastStream writes

_STRING = {"type": "string"}
# Headers the outbox relay puts on every message (eventkit.unit_of_work, eventkit.tracing).
EVENT_HEADERS = {
    "event_type": {**_STRING, "description": "Copy of the envelope's event_type, for routing without parsing the value."},
    "event_id": {**_STRING, "format": "uuid", "description": "Copy of the envelope's event_id."},
    "traceparent": {**_STRING, "description": "W3C trace context of the handler or request that emitted the event."},
    "tracestate": {**_STRING, "description": "W3C trace state, when the trace has one."},
}
# Headers the consumer adds when it dead-letters a message (eventkit.consumer._dead_letter).
DLT_HEADERS = {
    "dlt.original.topic": {**_STRING, "description": "Topic the message was read from (with the environment prefix)."},
    "dlt.original.partition": {**_STRING, "pattern": "^[0-9]+$", "description": "Partition it was read from (the dead letter is keyed like the original, not pinned to this partition)."},
    "dlt.original.offset": {**_STRING, "pattern": "^[0-9]+$", "description": "Its offset in that partition."},
    "dlt.consumer.group": {**_STRING, "description": "Consumer group that gave up on it."},
    "dlt.error.type": {**_STRING, "description": "Exception class, e.g. DomainRejection, ValidationError, UnknownEvent."},
    "dlt.error.message": {**_STRING, "maxLength": 2000, "description": "`<type>: <message>` of the last failure."},
    "dlt.error.stacktrace": {**_STRING, "maxLength": 4000, "description": "Tail of the traceback."},
    "dlt.attempts": {**_STRING, "pattern": "^[0-9]+$", "description": "Handling attempts made (1 for a rejection or an undecodable message)."},
    "dlt.failed_at": {**_STRING, "format": "date-time", "description": "When it was dead-lettered (ISO 8601, UTC)."},
}


class _WireEnvelope(Envelope):
    """Base of the per-event envelopes: documents the wire format (serialization mode, so
    quantities are decimal strings as they travel), whatever mode FastStream asks for.
    Fields with defaults are always written, so they are required on the wire."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("mode", "serialization")
        return super().model_json_schema(*args, **kwargs)


def describe(event: type[Event]) -> str:
    # The event's own docstring, not the one inherited from Event.
    return " ".join((event.__dict__.get("__doc__") or "").split()) or f"{event.event_type} v{event.version}."


@functools.cache
def envelope_model(event: type[Event]) -> type[Envelope]:
    """`<Event>Envelope`: the Kafka value of a message on the event's topic."""
    return create_model(
        f"{event.__name__}Envelope",
        __base__=_WireEnvelope,
        __doc__=f"Envelope of {event.event_type} v{event.version}: {describe(event)}",
        event_type=(Literal[event.event_type], ...),  # type: ignore[valid-type]
        version=(Literal[event.version], ...),  # type: ignore[valid-type]
        producer=(Literal[topic_for(event).producer], ...),  # type: ignore[valid-type]
        data=(event, ...),
    )


def _topic_text(topic: Topic, consumers: Mapping[str, Sequence[str]]) -> str:
    key = f"Key: `{topic.event.key_field}` of the body (all events about one aggregate share a partition, in order)."
    layout = f"Partitions: {topic.partitions}. " + (
        "Compacted: the topic keeps the latest message per key." if topic.compacted else "Retention: time-based (not compacted)."
    )
    parts = [describe(topic.event), key, layout, f"Produced by `{topic.producer}`."]
    if topic.name in consumers:
        parts.append("Consumed by: " + ", ".join(f"`{c}`" for c in consumers[topic.name]) + ".")
    return " ".join(parts)


def _dlt_text(topic: Topic) -> str:
    return (
        f"Dead letters of `{topic.name}`: the original key, value and headers of a message no "
        "consumer could handle (a DomainRejection or undecodable value at once, other errors "
        "after the retries), plus `dlt.*` headers saying who gave up and why. The value may "
        "not even be a valid envelope."
    )


def _subscribe(broker: KafkaBroker, address: str, model: type[Envelope], group_id: str, description: str) -> None:
    async def consume(envelope) -> None:  # a stub: only its signature reaches the document
        return None

    consume.__annotations__ = {"envelope": model, "return": None}
    broker.subscriber(address, group_id=group_id, title=address, description=description)(consume)


def broker_for(
    consumes: Iterable[Topic],
    produces: Iterable[Topic],
    group_id: str,
    consumers: Mapping[str, Sequence[str]] = {},
    consume_dead_letters: bool = False,
) -> KafkaBroker:
    """A never-started broker declaring the given traffic (dead-letter publishers included)."""
    consumes, produces = list(consumes), list(produces)
    if overlap := {t.name for t in consumes} & {t.name for t in produces}:
        raise ValueError(f"{group_id} both consumes and produces {sorted(overlap)}")
    bootstrap = ServiceSettings.model_fields["kafka_bootstrap"].default
    broker = KafkaBroker(
        bootstrap,
        description="Local stack. Every topic name may carry an environment prefix (`<prefix>.<topic>`, setting `<SERVICE>_TOPIC_PREFIX`).",
    )
    for topic in consumes:
        _subscribe(broker, topic.name, envelope_model(topic.event), group_id, _topic_text(topic, consumers))
        if consume_dead_letters:
            _subscribe(broker, topic.dead_letter, envelope_model(topic.event), group_id, _dlt_text(topic))
    for topic in produces:
        broker.publisher(topic.name, schema=envelope_model(topic.event), title=topic.name, description=_topic_text(topic, consumers))
    if not consume_dead_letters:
        for topic in consumes:
            broker.publisher(topic.dead_letter, schema=envelope_model(topic.event), title=topic.dead_letter, description=_dlt_text(topic))
    return broker


def load_service(name: str) -> Service:
    """The service as its composition root builds it (building does no I/O)."""
    bootstrap = importlib.import_module(f"{name}.bootstrap")
    settings = importlib.import_module(f"{name}.settings").Settings()
    if hasattr(bootstrap, "build"):
        return bootstrap.build(settings)
    # A composition root without build(): the same Service its main() runs.
    return Service(settings, handlers=bootstrap.HANDLERS, http_app=bootstrap.make_api, migrations=bootstrap.MIGRATIONS)


def consumed_topics(service: Service) -> list[Topic]:
    return sorted((topic_for(event) for event in service.handlers), key=lambda t: t.name)


def produced_topics(name: str, registry: Iterable[Topic] = TOPICS) -> list[Topic]:
    return sorted((t for t in registry if t.producer == name), key=lambda t: t.name)


def _registry_topic(address: str) -> tuple[Topic, bool]:
    dead = address.endswith(".dlt")
    topic = topic_named(address.removesuffix(".dlt"))
    assert topic is not None, f"{address} is not in the topic registry"
    return topic, dead


def enrich(doc: dict[str, Any], group_id: str) -> dict[str, Any]:
    """Add what FastStream 0.7 does not write: Kafka key, partitions, cleanup policy,
    consumer group, headers, and the correlation id's real place (the envelope)."""
    messages = doc["components"]["messages"]
    for channel in doc["channels"].values():
        topic, dead = _registry_topic(channel["address"])
        channel["bindings"]["kafka"]["partitions"] = topic.partitions
        channel["bindings"]["kafka"]["topicConfiguration"] = {
            "cleanup.policy": ["compact"] if topic.compacted and not dead else ["delete"]
        }
        for ref in channel["messages"].values():
            message = messages[ref["$ref"].rsplit("/", 1)[-1]]
            message["name"] = f"{topic.event.event_type}{'DeadLetter' if dead else ''}"
            message["summary"] = describe(topic.event)
            message["contentType"] = "application/json"
            message["correlationId"] = {"location": "$message.payload#/correlation_id", "description": "The saga this message belongs to."}
            message["bindings"] = {"kafka": {"bindingVersion": KAFKA_BINDING, "key": {
                **_STRING, "description": f"The body's `{topic.event.key_field}` (UTF-8)."}}}
            headers = {**EVENT_HEADERS, **(DLT_HEADERS if dead else {})}
            message["headers"] = {"type": "object", "properties": headers, "required": sorted(DLT_HEADERS) if dead else ["event_id", "event_type"]}
    for operation in doc["operations"].values():
        if operation["action"] == "receive":
            operation["bindings"] = {"kafka": {"bindingVersion": KAFKA_BINDING, "groupId": {**_STRING, "enum": [group_id]}}}
    return doc


def document(broker: KafkaBroker, *, title: str, version: str, description: str, group_id: str) -> dict[str, Any]:
    with warnings.catch_warnings():
        # FastStream warns when two schemas or channels share a name and one is dropped.
        warnings.simplefilter("error", RuntimeWarning)
        spec = AsyncAPI(broker, title=title, version=version, description=description, schema_version="3.0.0")
        doc = spec.to_specification().to_jsonable()
    return enrich(doc, group_id)


def service_document(name: str, service: Service, consumers: Mapping[str, Sequence[str]] = {}) -> dict[str, Any]:
    broker = broker_for(consumed_topics(service), produced_topics(name), group_id=name, consumers=consumers)
    return document(
        broker,
        title=f"batchflow {name}",
        version=package_version(f"batchflow-{name}"),
        description=(
            f"Kafka traffic of the `{name}` service: the topics it consumes (consumer group `{name}`), "
            "the events it publishes through its transactional outbox, and the dead-letter topics "
            "it writes when a consumed message cannot be handled. Each value is the JSON envelope "
            "whose `data` is the event body."
        ),
        group_id=name,
    )


def analytics_document(consumers: Mapping[str, Sequence[str]], registry: Iterable[Topic] = TOPICS) -> dict[str, Any]:
    topics = sorted(registry, key=lambda t: t.name)
    broker = broker_for(topics, [], group_id="analytics", consumers=consumers, consume_dead_letters=True)
    return document(
        broker,
        title="batchflow: every event",
        version=package_version("batchflow-contracts"),
        description=(
            "Every topic of the registry and its dead-letter topic, as an analytics consumer "
            "(consumer group `analytics`, read-only) sees them. Each value is the JSON envelope "
            "whose `data` is the event body."
        ),
        group_id="analytics",
    )


def all_documents() -> dict[str, dict[str, Any]]:
    services = {name: load_service(name) for name in SERVICES}
    consumers: dict[str, list[str]] = {}
    for name, service in services.items():
        for topic in consumed_topics(service):
            consumers.setdefault(topic.name, []).append(name)
    out = {f"{name}.json": service_document(name, service, consumers) for name, service in services.items()}
    out["all.json"] = analytics_document(consumers)
    return out


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    docs = all_documents()
    stale = []
    for filename, doc in docs.items():
        path, text = DOCS_DIR / filename, render(doc)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(filename)
        else:
            DOCS_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    extra = sorted(p.name for p in DOCS_DIR.glob("*.json") if p.name not in docs) if DOCS_DIR.exists() else []
    if extra:
        print("unexpected AsyncAPI documents (remove them):", ", ".join(extra))
    if stale:
        print("AsyncAPI documents out of date (run `python -m eventkit.asyncapi`):", ", ".join(stale))
    return 1 if stale or extra else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
