"""The contracts are a public interface: schemas in the repo match the models, changes within a
major version are additive only, and the envelope round-trips."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from contracts import schemas
from contracts.compat import breaking_changes
from contracts.envelope import Envelope
from contracts.events import OrderPlaced
from contracts.topics import TOPICS, UnknownEvent, parse_body, topic_for
from contracts.units import IncompatibleUnits, convert

pytestmark = pytest.mark.unit


def committed(filename: str) -> dict:
    return json.loads((schemas.SCHEMA_DIR / filename).read_text())


def test_committed_schemas_match_the_models():
    assert schemas.main(["--check"]) == 0


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.name)
def test_every_model_is_compatible_with_its_published_schema(topic):
    assert breaking_changes(committed(f"{topic.name}.json"), schemas.event_schema(topic)) == []


def test_topic_names_follow_the_convention():
    for t in TOPICS:
        producer, event, version = t.name.rsplit(".", 2)[0], t.name.split(".")[1], t.name.split(".")[-1]
        assert producer == t.producer and version == f"v{t.event.version}"
        assert event == event.lower() and " " not in event
    assert topic_for(OrderPlaced).name == "orders.order-placed.v1"
    assert topic_for("RecipePublished").compacted


def _placed_schema() -> dict:
    return copy.deepcopy(committed("orders.order-placed.v1.json"))


def test_removed_field_is_breaking():
    new = _placed_schema()
    del new["properties"]["wanted_date"]
    assert any("wanted_date: field removed" in p for p in breaking_changes(_placed_schema(), new))


def test_retyped_field_is_breaking():
    new = _placed_schema()
    new["properties"]["priority"] = {"type": "string", "title": "Priority"}
    assert any("priority: type changed" in p for p in breaking_changes(_placed_schema(), new))


def test_retyped_nested_field_is_breaking():
    new = _placed_schema()
    new["$defs"]["OrderLine"]["properties"]["line_no"] = {"type": "string"}
    assert any("lines.line_no: type changed" in p for p in breaking_changes(_placed_schema(), new))


def test_new_required_field_is_breaking_but_new_optional_field_is_not():
    old = _placed_schema()
    optional = copy.deepcopy(old)
    optional["properties"]["gift_note"] = {"type": "string", "default": ""}
    assert breaking_changes(old, optional) == []
    required = copy.deepcopy(optional)
    required["required"].append("gift_note")
    assert any("gift_note: new required field" in p for p in breaking_changes(old, required))


def test_a_new_major_version_may_change_anything():
    new = _placed_schema()
    new["x-version"] = 2
    del new["properties"]["lines"]
    assert breaking_changes(_placed_schema(), new) == []


def _placed() -> OrderPlaced:
    return OrderPlaced(
        order_id="o-1",
        order_no="SO-1",
        customer={"name": "Ada", "email": "ada@example.com"},
        lines=[{"line_no": 1, "sku": "LIP-BALM", "quantity": "2.5", "unit": "kg"}],
        placed_at=datetime(2026, 11, 25, tzinfo=timezone.utc),
    )


def test_envelope_round_trip_and_tolerance_of_unknown_fields():
    event = _placed()
    env = Envelope(event_type=event.event_type, producer="orders", correlation_id="o-1", data=event.model_dump(mode="json"))
    raw = json.loads(env.to_bytes())
    raw["added_later"] = "x"  # a newer producer's envelope field
    raw["data"]["gift_note"] = "hi"  # a newer producer's optional body field
    back = Envelope.from_bytes(json.dumps(raw).encode())
    body = parse_body(back)
    assert body == event and body.lines[0].quantity == Decimal("2.5")
    assert raw["data"]["lines"][0]["quantity"] == "2.5"  # decimals travel as strings


def test_parse_body_refuses_unknown_types_versions_and_bad_bodies():
    env = Envelope(event_type="OrderPlaced", producer="x", correlation_id="c", data={"order_id": "o"})
    with pytest.raises(ValidationError):
        parse_body(env)
    with pytest.raises(UnknownEvent):
        parse_body(env.model_copy(update={"event_type": "Nope"}))
    with pytest.raises(UnknownEvent):
        parse_body(env.model_copy(update={"version": 2}))


def test_events_are_frozen_and_quantities_positive():
    event = _placed()
    with pytest.raises(ValidationError):
        event.order_id = "other"
    with pytest.raises(ValidationError):
        OrderPlaced.model_validate({**event.model_dump(), "lines": [{"line_no": 1, "sku": "A", "quantity": "0", "unit": "kg"}]})


def test_unit_conversion_within_a_dimension_only():
    assert convert(Decimal("1.5"), "kg", "g") == Decimal("1500")
    assert convert(Decimal("250"), "mL", "L") == Decimal("0.25")
    with pytest.raises(IncompatibleUnits):
        convert(Decimal(1), "kg", "L")
