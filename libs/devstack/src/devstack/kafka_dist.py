"""The Apache Kafka broker's jars: fetched once from Maven Central into a per-user cache.

`deploy/local/kafka-pom.xml` names the broker and its logging binding; Maven resolves the
runtime classpath into `<cache>/kafka-<version>/libs`. A marker file records the pom's hash,
so editing the pom refreshes the cache; a file lock keeps parallel runs from racing.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from devstack._util import DevstackError, Timer, find_repo_root, log

_MARKER = ".complete"


def pom_path() -> Path:
    return find_repo_root() / "deploy" / "local" / "kafka-pom.xml"


def log4j_config_path() -> Path | None:
    p = find_repo_root() / "deploy" / "local" / "log4j2.properties"
    return p if p.is_file() else None


def kafka_version(pom: Path | None = None) -> str:
    text = (pom or pom_path()).read_text()
    m = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", text)
    if not m:
        raise DevstackError(f"no <kafka.version> in {pom}")
    return m.group(1).strip()


def cache_root() -> Path:
    """`$BATCHFLOW_CACHE_DIR`, else `$XDG_CACHE_HOME/batchflow`, else `~/.cache/batchflow`."""
    env = os.environ.get("BATCHFLOW_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "batchflow"


def kafka_libs(quiet: bool = False) -> Path:
    """The directory with the broker's jars, downloading them on the first call."""
    pom = pom_path()
    version = kafka_version(pom)
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    home = cache_root() / f"kafka-{version}"
    libs = home / "libs"
    marker = libs / _MARKER

    def fresh() -> bool:
        return marker.is_file() and marker.read_text().strip() == digest

    if fresh():
        return libs
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be fetching right now
        if fresh():
            return libs
        if shutil.which("mvn") is None:
            raise DevstackError(
                "Maven (mvn) is needed to fetch Apache Kafka; install it or set BATCHFLOW_KAFKA_BOOTSTRAP"
            )
        timer = Timer()
        if not quiet:
            log(f"fetching Apache Kafka {version} from Maven Central (first run only)...")
        staging = home / "libs.partial"
        shutil.rmtree(staging, ignore_errors=True)
        cmd = [
            "mvn", "-q", "-B", "-f", str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        jars = list(staging.glob("*.jar")) if staging.is_dir() else []
        if proc.returncode != 0 or not jars:
            raise DevstackError(
                f"fetching Kafka failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
            )
        (staging / _MARKER).write_text(digest + "\n")
        shutil.rmtree(libs, ignore_errors=True)
        staging.rename(libs)
        if not quiet:
            log(f"Apache Kafka {version}: {len(jars)} jars in {libs} ({timer})")
        return libs
