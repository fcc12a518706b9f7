"""The committed AsyncAPI documents match the code: every topic documented with its payload,
and each service's document lists exactly the traffic its composition root wires."""

from __future__ import annotations

import json

import pytest
from faststream.specification.asyncapi.v3_0_0.schema import ApplicationSchema

from contracts.topics import TOPICS, topic_for
from eventkit import asyncapi

pytestmark = pytest.mark.unit


def _committed(name: str) -> dict:
    return json.loads((asyncapi.DOCS_DIR / name).read_text())


def _traffic(doc: dict) -> tuple[set[str], set[str]]:
    """(topics received, topics sent) according to the document's operations."""
    received, sent = set(), set()
    for op in doc["operations"].values():
        address = doc["channels"][op["channel"]["$ref"].rsplit("/", 1)[-1]]["address"]
        (received if op["action"] == "receive" else sent).add(address)
    return received, sent


def _payload(doc: dict, channel: dict) -> dict:
    (ref,) = channel["messages"].values()
    message = doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]
    return doc["components"]["schemas"][message["payload"]["$ref"].rsplit("/", 1)[-1]]


def test_committed_documents_are_up_to_date(capsys):
    assert asyncapi.main(["--check"]) == 0, capsys.readouterr().out


@pytest.mark.parametrize("name", [f"{s}.json" for s in asyncapi.SERVICES] + ["all.json"])
def test_documents_are_asyncapi_3_that_faststream_tooling_reads(name):
    doc = _committed(name)
    assert doc["asyncapi"] == "3.0.0"
    ApplicationSchema.model_validate(doc)  # what `faststream docs serve <file>` parses


def test_every_registry_topic_is_in_all_json_with_its_payload_schema():
    doc = _committed("all.json")
    by_address = {c["address"]: c for c in doc["channels"].values()}
    assert set(by_address) == {t.name for t in TOPICS} | {t.dead_letter for t in TOPICS}
    for topic in TOPICS:
        envelope = _payload(doc, by_address[topic.name])
        assert envelope["properties"]["event_type"]["const"] == topic.event.event_type
        assert envelope["properties"]["producer"]["const"] == topic.producer
        body = doc["components"]["schemas"][envelope["properties"]["data"]["$ref"].rsplit("/", 1)[-1]]
        expected = topic.event.model_json_schema(mode="serialization")
        assert set(body["properties"]) == set(expected["properties"])
        assert set(body.get("required", [])) == set(expected.get("required", []))
        kafka = by_address[topic.name]["bindings"]["kafka"]
        assert kafka["partitions"] == topic.partitions
        assert kafka["topicConfiguration"]["cleanup.policy"] == (["compact"] if topic.compacted else ["delete"])
        assert f"`{topic.event.key_field}`" in by_address[topic.name]["description"]
    # Quantities travel as decimal strings: the document shows the wire format.
    assert doc["components"]["schemas"]["OrderLine"]["properties"]["quantity"]["type"] == "string"


@pytest.mark.parametrize("service", asyncapi.SERVICES)
def test_service_document_lists_exactly_what_its_service_consumes_and_produces(service):
    handled = asyncapi.load_service(service).handlers
    consumed = {topic_for(event).name for event in handled}
    produced = {t.name for t in TOPICS if t.producer == service}
    received, sent = _traffic(_committed(f"{service}.json"))
    assert received == consumed
    assert sent == produced | {f"{name}.dlt" for name in consumed}


@pytest.mark.parametrize("service", asyncapi.SERVICES)
def test_consumers_are_in_their_group_and_dead_letters_carry_the_failure_headers(service):
    doc = _committed(f"{service}.json")
    for op in doc["operations"].values():
        channel = doc["channels"][op["channel"]["$ref"].rsplit("/", 1)[-1]]
        (ref,) = channel["messages"].values()
        message = doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]
        if op["action"] == "receive":
            assert op["bindings"]["kafka"]["groupId"]["enum"] == [service]
        if channel["address"].endswith(".dlt"):
            assert {
                "dlt.original.topic", "dlt.original.partition", "dlt.original.offset", "dlt.consumer.group",
                "dlt.error.type", "dlt.error.message", "dlt.attempts", "dlt.failed_at",
            } <= set(message["headers"]["required"])
        assert "key" in message["bindings"]["kafka"]
