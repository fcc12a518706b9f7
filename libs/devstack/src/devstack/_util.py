"""Small helpers shared by the devstack modules: ports, paths, deadlines, child processes."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class DevstackError(RuntimeError):
    """Something in the local stack could not be started or reached."""


def log(msg: str) -> None:
    sys.stderr.write(f"[devstack] {msg}\n")  # one write: lines from threads do not interleave
    sys.stderr.flush()


_handed_out: set[int] = set()


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago, for a process to listen on.

    Picked below the kernel's ephemeral range on purpose: the kernel's own pick for port 0
    comes from that range, which is also where every outgoing connection (a Kafka client, a
    database pool) takes its local port, so on a busy machine a port picked that way was
    sometimes taken by somebody's connection before the service bound it ("address already
    in use", a service dead at start). Below the range only listeners compete."""
    low, _ = _ephemeral_range()
    if low > 12000:
        rng = random.Random()  # not the test's seeded global one: two runs must not pick alike
        for _ in range(200):
            port = rng.randrange(10000, low - 1)
            if port in _handed_out:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind((host, port))
                except OSError:
                    continue
            _handed_out.add(port)
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, whether or not the calling thread
    already runs an event loop: it always runs in a private thread with its own loop, so it
    never disturbs the caller's loop (e.g. pytest-asyncio's session loop)."""
    result: list[Any] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            error.append(exc)

    t = threading.Thread(target=target, name="devstack-sync", daemon=True)
    t.start()
    t.join()
    if error:
        raise error[0]
    return result[0]


def find_repo_root(start: Path | None = None) -> Path:
    """The workspace root: the nearest parent holding deploy/local/kafka-pom.xml, looked up
    from `start` (default: the working directory), then from this file's location."""
    env = os.environ.get("BATCHFLOW_REPO_ROOT")
    if env:
        return Path(env).resolve()
    candidates = [start or Path.cwd(), Path(__file__).resolve()]
    for c in candidates:
        for p in [c, *c.parents]:
            if (p / "deploy" / "local" / "kafka-pom.xml").is_file():
                return p
    raise DevstackError(
        "cannot find the batchflow repository (deploy/local/kafka-pom.xml); "
        "run from inside the repo or set BATCHFLOW_REPO_ROOT"
    )


def tail(path: Path, lines: int = 30) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still "exists"; treat it as dead.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def pid_cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def stop_process(
    proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 30.0
) -> int | None:
    """Send `sig` to the process, wait up to `timeout`, then SIGKILL. Returns the exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"pid {proc.pid} did not stop within {timeout:.0f}s after {signal.Signals(sig).name}; killing it")
            proc.kill()
            proc.wait()
    return proc.returncode


def kill_stale(pidfile: Path, marker: str, sig: int = signal.SIGKILL) -> None:
    """Kill a process left behind by an earlier run (its pid is in `pidfile` and its command
    line contains `marker`, so a recycled pid of an unrelated process is never touched)."""
    try:
        pid = int(pidfile.read_text().split("\n", 1)[0].strip())
    except (OSError, ValueError):
        return
    if pid_alive(pid) and marker in pid_cmdline(pid):
        log(f"stopping stale process {pid} left by an earlier run ({pidfile})")
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 15
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    pidfile.unlink(missing_ok=True)


class Timer:
    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def __str__(self) -> str:
        return f"{time.monotonic() - self.t0:.1f}s"

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.t0
