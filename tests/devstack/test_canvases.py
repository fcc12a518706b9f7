"""Every service's CANVAS.md says, for each event the service consumes, which function
handles it (module and name, as its composition root wires it): a newcomer goes from the
canvas to the code in one hop, and a handler renamed or moved without the canvas fails here."""

from __future__ import annotations

import importlib
import inspect
import re
from functools import partial
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["orders", "inventory", "production", "shipping", "purchasing", "channels"]


def wiring(service: str) -> dict[str, str]:
    """{event type: "module.function"} as the service's bootstrap builds its consumer."""
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    settings = importlib.import_module(f"{service}.settings").Settings()
    handlers = bootstrap.build(settings).handlers
    out = {}
    for event, fn in handlers.items():
        fn = fn.func if isinstance(fn, partial) else fn
        fn = inspect.unwrap(fn)
        module = fn.__module__.removeprefix(f"{service}.")
        out[event.__name__] = f"{module}.{fn.__name__}"
    return out


def entry_points(service: str) -> dict[str, str]:
    """The canvas's table under "Entry points": | `Event` | `module.function` |."""
    text = (ROOT / "services" / service / "CANVAS.md").read_text()
    return dict(re.findall(r"^\| `(\w+)` \| `([\w.]+)` \|", text, flags=re.M))


@pytest.mark.parametrize("service", SERVICES)
def test_the_canvas_names_the_handler_of_every_consumed_event(service):
    assert entry_points(service) == wiring(service)
