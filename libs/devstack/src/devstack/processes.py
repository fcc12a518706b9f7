"""A Python service run as its own OS process (`python -m <module>`), in its own process group."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from devstack._util import DevstackError, tail


class ServiceExited(DevstackError):
    """The service's process ended while we were waiting for it to become healthy."""


class ServiceProcess:
    """`sys.executable -m <module>` with `env` added to the current environment, its output
    (stdout + stderr) appended to `log_path` (inherited from this process when None)."""

    def __init__(
        self,
        name: str,
        module: str,
        env: dict[str, str] | None = None,
        log_path: str | os.PathLike[str] | None = None,
        *,
        args: list[str] | tuple[str, ...] = (),
        cwd: str | os.PathLike[str] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.name = name
        self.module = module
        self.env = dict(env or {})
        self.log_path = Path(log_path) if log_path else None
        self.args = list(args)
        self.cwd = cwd
        self.python = python
        self._proc: subprocess.Popen | None = None
        self.started_at: float | None = None

    # -- state -----------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc else None

    def module_available(self) -> bool:
        """Whether `python -m <module>` can be found by this interpreter (same environment as
        the child): the module exists, and a package has a __main__."""
        try:
            spec = importlib.util.find_spec(self.module)
            if spec is None:
                return False
            if spec.submodule_search_locations is not None:  # a package: needs __main__
                return importlib.util.find_spec(self.module + ".__main__") is not None
            return True
        except (ImportError, ValueError):
            return False

    def log_tail(self, lines: int = 30) -> str:
        return tail(self.log_path, lines) if self.log_path else ""

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "ServiceProcess":
        if self.running:
            return self
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            out = open(self.log_path, "ab")
        else:
            out = None
        try:
            self._proc = subprocess.Popen(
                [self.python, "-m", self.module, *self.args],
                env=env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # own process group: signals reach its children too
            )
        finally:
            if out:
                out.close()
        self.started_at = time.monotonic()
        return self

    def _signal_group(self, sig: int) -> None:
        assert self._proc is not None
        try:
            os.killpg(self._proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                self._proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def terminate(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (graceful stop), then SIGKILL after `timeout`. Returns the exit code."""
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self._proc.wait()
        self._reap_group()
        return self._proc.returncode

    def kill(self) -> int | None:
        """SIGKILL the whole process group at once: a crash."""
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self._signal_group(signal.SIGKILL)
            self._proc.wait()
        self._reap_group()
        return self._proc.returncode

    def _reap_group(self) -> None:
        # Children the service left behind in its group (e.g. worker processes) go too.
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, AttributeError):
            pass

    def restart(self, timeout: float = 15.0) -> "ServiceProcess":
        self.terminate(timeout)
        return self.start()

    # -- health ------------------------------------------------------------------------------
    def wait_healthy(self, url: str, deadline: float = 60.0) -> None:
        """Poll `url` until it answers 200; `deadline` is seconds from now. Raises
        ServiceExited if the process ends first, DevstackError when time runs out."""
        import httpx

        end = time.monotonic() + deadline
        last = "no answer"
        with httpx.Client(timeout=2.0) as client:
            while True:
                self._check_alive()
                try:
                    r = client.get(url)
                    if r.status_code == 200:
                        return
                    last = f"HTTP {r.status_code}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                if time.monotonic() > end:
                    raise DevstackError(f"{self.name}: {url} not healthy after {deadline:.0f}s ({last})")
                time.sleep(0.1)

    async def wait_healthy_async(self, url: str, deadline: float = 60.0) -> None:
        import httpx

        end = time.monotonic() + deadline
        last = "no answer"
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                self._check_alive()
                try:
                    r = await client.get(url)
                    if r.status_code == 200:
                        return
                    last = f"HTTP {r.status_code}"
                except httpx.HTTPError as exc:
                    last = type(exc).__name__
                if time.monotonic() > end:
                    raise DevstackError(f"{self.name}: {url} not healthy after {deadline:.0f}s ({last})")
                await asyncio.sleep(0.1)

    def _check_alive(self) -> None:
        if self._proc is None:
            raise ServiceExited(f"{self.name}: not started")
        code = self._proc.poll()
        if code is not None:
            raise ServiceExited(
                f"{self.name}: process exited with code {code}"
                + (f"; last output:\n{self.log_tail(20)}" if self.log_path else "")
            )

    async def terminate_async(self, timeout: float = 15.0) -> int | None:
        return await asyncio.to_thread(self.terminate, timeout)

    def __repr__(self) -> str:
        return f"ServiceProcess({self.name!r}, module={self.module!r}, pid={self.pid}, running={self.running})"
