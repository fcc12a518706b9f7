"""JSON Schemas of the event bodies and the envelope, committed under contracts/schemas/.

`python -m contracts.schemas` rewrites them; `python -m contracts.schemas --check` fails
when the committed files differ from the models (CI runs the check through the tests).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from contracts.compat import breaking_changes
from contracts.envelope import Envelope
from contracts.topics import TOPICS

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def event_schema(topic) -> dict[str, Any]:
    schema = topic.event.model_json_schema(mode="serialization")
    schema["$id"] = f"urn:batchflow:{topic.name}"
    schema["x-event-type"] = topic.event.event_type
    schema["x-version"] = topic.event.version
    schema["x-topic"] = topic.name
    schema["x-key"] = topic.event.key_field
    schema["x-compacted"] = topic.compacted
    return schema


def all_schemas() -> dict[str, dict[str, Any]]:
    out = {"envelope.json": Envelope.model_json_schema(mode="serialization")}
    for topic in TOPICS:
        out[f"{topic.name}.json"] = event_schema(topic)
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale, broken = [], []
    for filename, schema in all_schemas().items():
        path = SCHEMA_DIR / filename
        text = render(schema)
        # A published schema is only ever replaced by a compatible one.
        if path.exists():
            problems = breaking_changes(json.loads(path.read_text()), schema)
            if problems:
                broken.append(f"{filename}: " + "; ".join(problems))
                continue
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(filename)
        else:
            SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if broken:
        print("incompatible changes within a major version (publish a new major version instead):")
        print("\n".join(f"  {b}" for b in broken))
    if stale:
        print("schemas out of date (run `make schemas`):", ", ".join(stale))
    return 1 if broken or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
