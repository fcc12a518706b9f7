"""Throwaway stack directories for test sessions, and cleanup of ones whose owner died.

A test session that is killed (SIGKILL, a closed terminal) cannot stop its Kafka and
PostgreSQL; the next session finds its directory, sees the owner process is gone and stops
what it left behind, so orphaned JVMs do not pile up on a small machine."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

from devstack._util import kill_stale, pid_alive


def sessions_root() -> Path:
    # Not pytest's basetemp: that is 0700, and PostgreSQL runs as another user under root.
    root = Path(tempfile.gettempdir()) / f"batchflow-devstack-{os.getuid()}"
    root.mkdir(mode=0o755, exist_ok=True)
    os.chmod(root, 0o755)
    return root


def _start_time(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def new_session_dir() -> Path:
    reap_stale_sessions()
    d = Path(tempfile.mkdtemp(prefix="s-", dir=sessions_root()))
    os.chmod(d, 0o755)
    (d / "owner").write_text(f"{os.getpid()} {_start_time(os.getpid())}\n")
    return d


def _owner_alive(d: Path) -> bool:
    try:
        pid_s, start = (d / "owner").read_text().split()
        pid = int(pid_s)
    except (OSError, ValueError):
        return False
    return pid_alive(pid) and _start_time(pid) == start


def reap_stale_sessions() -> None:
    root = sessions_root()
    for d in root.iterdir():
        if not d.is_dir() or not (d / "owner").exists() or _owner_alive(d):
            continue
        kill_stale(d / "kafka" / "kafka.pid", str(d))
        kill_stale(d / "pg" / "data" / "postmaster.pid", str(d), signal.SIGQUIT)
        shutil.rmtree(d, ignore_errors=True)


def remove_session_dir(d: Path) -> None:
    shutil.rmtree(d, ignore_errors=True)
