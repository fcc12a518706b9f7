"""Where each service's CPU goes, for the saga benchmark's `--profile`: py-spy samples every
service process for the whole run (non-blocking, so the service is never paused; idle
samples are left out by py-spy, so the shares are of the time the process was on a CPU),
and the samples are summed two ways per service:

- **by layer** (self time: the file of the innermost frame): the service's own code,
  eventkit, contracts, SQLAlchemy, asyncpg, pydantic, the HTTP server (FastAPI, Starlette,
  uvicorn), the HTTP client (httpx), aiokafka, OpenTelemetry, asyncio, the rest of the
  standard library, other packages;
- **by entry** (inclusive: the outermost frame of the service's own code in the stack, i.e.
  the event handler or API route the work was done for). SQLAlchemy runs its statements in a
  greenlet whose stack py-spy sees without the caller, so those samples cannot be given to
  an entry: they are counted as "statements (caller not visible)", which is itself a figure
  worth knowing.

A process that is runnable but waiting for a CPU is sampled where it waits (py-spy counts it
as active): on a saturated machine that is mostly the event loop's select, so the asyncio
share there includes time spent waiting for a core, not only the loop's own work.

The summary is a part of the benchmark report, so "show with a profile where the CPU goes"
is answered by the same run that measures it."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?):(?P<line>\d+)\)$")

# Innermost file -> layer, first match wins. Own code and eventkit are told apart by path.
_LAYERS: list[tuple[str, str]] = [
    ("/libs/eventkit/", "eventkit"),
    ("/contracts/src/", "contracts"),
    ("/sqlalchemy/", "SQLAlchemy"),
    ("/sqlmodel/", "SQLAlchemy"),
    ("/greenlet/", "SQLAlchemy"),
    ("/asyncpg/", "asyncpg"),
    ("/pydantic", "pydantic"),
    ("/fastapi/", "HTTP server"),
    ("/starlette/", "HTTP server"),
    ("/uvicorn/", "HTTP server"),
    ("/h11/", "HTTP server"),
    ("/httptools/", "HTTP server"),
    ("/anyio/", "HTTP server"),
    ("/httpx/", "HTTP client"),
    ("/httpcore/", "HTTP client"),
    ("/aiokafka/", "aiokafka"),
    ("/kafka/", "aiokafka"),
    ("/opentelemetry/", "OpenTelemetry"),
    ("/asyncio/", "asyncio"),
    ("/selectors.py", "asyncio"),
    ("/jinja2/", "templates/PDF"),
    ("/reportlab/", "templates/PDF"),
]


def layer_of(path: str, service: str) -> str:
    if f"/services/{service}/src/" in path:
        return f"{service} (own code)"
    for needle, name in _LAYERS:
        if needle in path:
            return name
    if "/site-packages/" in path:
        return "other packages"
    if path.startswith(sys.base_prefix) or "/lib/python3" in path:
        return "standard library"
    return "other"


@dataclass
class Profile:
    service: str
    samples: int = 0
    layers: Counter = field(default_factory=Counter)
    entries: Counter = field(default_factory=Counter)
    hot: Counter = field(default_factory=Counter)  # innermost function: self time
    writes: Counter = field(default_factory=Counter)  # socket writes, by the layer that wrote

    def add(self, frames: list[tuple[str, str]], count: int) -> None:
        self.samples += count
        if not frames:
            return
        func, path = frames[-1]
        self.layers[layer_of(path, self.service)] += count
        self.entries[self._entry(frames)] += count
        self.hot[f"{func} ({_short(path)})"] += count
        if func == "_SelectorSocketTransport.write" or func.startswith("socket.send"):
            for caller_func, caller_path in reversed(frames[:-1]):
                layer = layer_of(caller_path, self.service)
                if layer not in ("asyncio", "standard library"):
                    self.writes[layer] += count
                    break
            else:
                self.writes["other"] += count

    def _entry(self, frames: list[tuple[str, str]]) -> str:
        own = f"/services/{self.service}/src/"
        for func, path in frames:  # outermost first
            if own in path and not path.endswith(("/__main__.py", "/bootstrap.py")):  # the process' start
                return f"{Path(path).stem}.{func}"
        files = " ".join(p for _, p in frames)
        if "/greenlet/" in files or "/sqlalchemy/" in files:
            return "statements (caller not visible)"
        if "/eventkit/relay.py" in files:
            return "outbox relay"
        if "/eventkit/consumer.py" in files or "/aiokafka/" in files:
            return "consumer: fetch, decode, inbox, commit"
        if "/uvicorn/" in files or "/starlette/" in files or "/fastapi/" in files:
            return "HTTP server (outside routes)"
        return "other"


def _short(path: str) -> str:
    """A file as a reader knows it: from the package down (sqlalchemy/orm/session.py)."""
    for marker in ("/site-packages/", "/src/", "/lib/python3.11/", "/lib/python3.12/"):
        if marker in path:
            return path.rsplit(marker, 1)[1]
    return Path(path).name


def parse(text: str, service: str) -> Profile:
    """py-spy's raw format: one line per distinct stack, `frame;frame;... count`, outermost first."""
    prof = Profile(service)
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for raw in stack.split(";"):
            m = _FRAME.match(raw)
            if m:
                frames.append((m["func"], m["file"]))
        prof.add(frames, int(count))
    return prof


class Sampler:
    """py-spy recording each named process until stop(); a no-op (with a reason) without py-spy
    or without the right to trace (py-spy needs root or ptrace permission)."""

    def __init__(self, pids: dict[str, int], out_dir: Path, rate: int = 50) -> None:
        self.pids, self.out_dir, self.rate = pids, out_dir, rate
        self.procs: dict[str, subprocess.Popen] = {}
        self.problem: str | None = None

    def start(self) -> None:
        exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(exe).exists():
            self.problem = "py-spy is not installed (it is in the dev dependency group: make install)"
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name, pid in self.pids.items():
            self.procs[name] = subprocess.Popen(
                [exe, "record", "--pid", str(pid), "--rate", str(self.rate), "--nonblocking", "--full-filenames",
                 "--format", "raw", "--output", str(self.out_dir / f"{name}.txt")],
                stdout=subprocess.DEVNULL, stderr=open(self.out_dir / f"{name}.err", "w"),
            )

    def stop(self) -> dict[str, Profile]:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        out = {}
        for name, p in self.procs.items():
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
            path = self.out_dir / f"{name}.txt"
            if path.exists():
                out[name] = parse(path.read_text(), name.rsplit("-", 1)[0])
            elif self.problem is None:
                self.problem = (self.out_dir / f"{name}.err").read_text().strip()[-300:] or "py-spy wrote nothing"
        return out


def report(profiles: dict[str, Profile], problem: str | None, top: int = 8) -> list[str]:
    lines = ["## Where the CPU goes (py-spy, every service process, the whole run)", ""]
    if problem:
        lines += [f"Not profiled: {problem}", ""]
    if not profiles:
        return lines
    lines += ["Self time by layer (share of the process' samples on a CPU):", "",
              "| service | samples | " + " | ".join(f"top {i + 1}" for i in range(5)) + " |",
              "|---|---|" + "---|" * 5]
    for name, prof in sorted(profiles.items(), key=lambda kv: -kv[1].samples):
        cells = [f"{layer} {n / prof.samples:.0%}" for layer, n in prof.layers.most_common(5)]
        lines.append(f"| {name} | {prof.samples} | " + " | ".join(cells + [""] * (5 - len(cells))) + " |")
    lines += ["", "Hot functions (self time):", ""]
    for name, prof in sorted(profiles.items(), key=lambda kv: -kv[1].samples):
        cells = ", ".join(f"`{fn}` {n / prof.samples:.0%}" for fn, n in prof.hot.most_common(6))
        lines.append(f"- **{name}**: {cells}")
    lines += ["", "Socket writes (`_SelectorSocketTransport.write`: the send system call, which on loopback also "
              "delivers to and wakes the peer), by the layer that wrote:", ""]
    for name, prof in sorted(profiles.items(), key=lambda kv: -kv[1].samples):
        total = sum(prof.writes.values())
        if total:
            cells = ", ".join(f"{layer} {n / prof.samples:.0%}" for layer, n in prof.writes.most_common(4))
            lines.append(f"- **{name}**: {total / prof.samples:.0%} of its samples: {cells}")
    lines += ["", "Inclusive time by entry (the outermost frame of the service's own code):", ""]
    for name, prof in sorted(profiles.items(), key=lambda kv: -kv[1].samples):
        cells = ", ".join(f"{entry} {n / prof.samples:.0%}" for entry, n in prof.entries.most_common(top))
        lines.append(f"- **{name}**: {cells}")
    lines.append("")
    return lines


if __name__ == "__main__":  # summarise saved raw files: python bench/cpu_profile.py DIR
    d = Path(sys.argv[1])
    profs = {p.stem: parse(p.read_text(), p.stem.rsplit("-", 1)[0]) for p in sorted(d.glob("*.txt"))}
    print("\n".join(report(profs, None)))
