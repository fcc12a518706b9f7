"""What the local Kafka broker and PostgreSQL server have in common: one server process
whose state lives in `workdir/data`, and the lifecycle calls tests use (restart, and async
variants that run the blocking calls in a worker thread)."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path


class LocalServer:
    # Subclasses set how long a start may take before it counts as failed.
    START_TIMEOUT = 60.0

    def __init__(self, workdir: str | os.PathLike[str]) -> None:
        self.workdir = Path(workdir).resolve()
        self._proc: subprocess.Popen | None = None

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float | None = None):  # pragma: no cover - subclasses
        raise NotImplementedError

    def stop(self, timeout: float = 30.0) -> None:  # pragma: no cover - subclasses
        raise NotImplementedError

    def kill(self) -> None:  # pragma: no cover - subclasses
        raise NotImplementedError

    def restart(self, timeout: float | None = None):
        self.stop()
        return self.start(timeout)

    async def start_async(self, timeout: float | None = None):
        return await asyncio.to_thread(self.start, timeout)

    async def stop_async(self, timeout: float = 30.0) -> None:
        await asyncio.to_thread(self.stop, timeout)

    async def kill_async(self) -> None:
        await asyncio.to_thread(self.kill)

    async def restart_async(self, timeout: float | None = None):
        return await asyncio.to_thread(self.restart, timeout)
