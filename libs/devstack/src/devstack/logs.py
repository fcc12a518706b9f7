"""Following several services' log files and printing their lines with a per-service prefix."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

_COLORS = ["36", "32", "33", "35", "34", "96", "92", "93"]


class LogFollower:
    """`add(name, path)` starts following a file from its current end; `run()` prints new
    lines as `name       | line` until cancelled."""

    def __init__(self, width: int = 10, out: TextIO | None = None, poll: float = 0.2) -> None:
        self.width = width
        self.out = out or sys.stdout
        self.poll = poll
        self.color = self.out.isatty()
        self._files: dict[str, list] = {}  # name -> [path, offset, partial-line buffer, color]

    def add(self, name: str, path: Path) -> None:
        offset = path.stat().st_size if path.exists() else 0
        color = _COLORS[len(self._files) % len(_COLORS)]
        self._files[name] = [path, offset, b"", color]

    def _prefix(self, name: str, color: str) -> str:
        p = f"{name:<{self.width}} | "
        return f"\x1b[{color}m{p}\x1b[0m" if self.color else p

    def pump(self) -> None:
        for name, entry in self._files.items():
            path, offset, partial, color = entry
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if size < offset:  # truncated
                offset, partial = 0, b""
            if size == offset:
                continue
            with open(path, "rb") as f:
                f.seek(offset)
                data = f.read(size - offset)
            offset += len(data)
            *lines, partial = (partial + data).split(b"\n")
            prefix = self._prefix(name, color)
            for line in lines:
                self.out.write(prefix + line.decode("utf-8", "replace").rstrip("\r") + "\n")
            entry[1], entry[2] = offset, partial
        self.out.flush()

    async def run(self) -> None:
        try:
            while True:
                self.pump()
                await asyncio.sleep(self.poll)
        finally:
            self.pump()
