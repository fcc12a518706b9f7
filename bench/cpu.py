"""CPU time from /proc, for the saga benchmark: the whole machine's busy time (/proc/stat) and
each named process tree's own (/proc/<pid>/stat), between two snapshots.

A tree's time is the sum over its live processes of their user+system time plus the time of
their children already reaped (cutime+cstime): a PostgreSQL backend that exits between the
snapshots moves into the postmaster's cutime, so nothing is lost or counted twice. Whatever
no named tree owns is "rest of the machine" (other people's tests on a shared host, the
kernel's own threads): it is reported, not hidden, because the machine total includes it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _busy_seconds() -> float:
    """All CPUs' busy time since boot: every /proc/stat column except idle and iowait."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields[:8]]  # user nice system idle iowait irq softirq steal
    return (sum(values) - values[3] - values[4]) / TICK


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, own + reaped children's CPU seconds)."""
    out: dict[int, tuple[int, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        rest = raw[raw.rindex(")") + 2:].split()
        ppid = int(rest[1])
        utime, stime, cutime, cstime = (int(v) for v in rest[11:15])
        out[int(entry.name)] = (ppid, (utime + stime + cutime + cstime) / TICK)
    return out


@dataclass
class Snapshot:
    busy: float
    trees: dict[str, float]

    @property
    def system(self) -> float:
        """CPU seconds of the system itself: every named tree but the benchmark's driver and
        the rest of the machine (services, Kafka, PostgreSQL)."""
        return sum(v for k, v in self.trees.items() if not k.startswith(("bench", "rest")))

    def __sub__(self, before: "Snapshot") -> "Snapshot":
        names = set(self.trees) | set(before.trees)
        return Snapshot(self.busy - before.busy, {n: self.trees.get(n, 0.0) - before.trees.get(n, 0.0) for n in names})


def snapshot(roots: dict[str, int]) -> Snapshot:
    """Machine busy seconds and CPU seconds per named tree (`roots`: name -> root pid; a
    process belongs to the nearest named ancestor, so a tree nested in another is its own)."""
    procs = _processes()
    by_pid = {pid: name for name, pid in roots.items()}
    trees: dict[str, float] = {name: 0.0 for name in roots}
    for pid, (_, seconds) in procs.items():
        cur, seen = pid, 0
        while cur not in by_pid and cur in procs and seen < 64:
            cur, seen = procs[cur][0], seen + 1
        trees[by_pid.get(cur, "rest of the machine")] = trees.get(by_pid.get(cur, "rest of the machine"), 0.0) + seconds
    return Snapshot(_busy_seconds(), trees)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
