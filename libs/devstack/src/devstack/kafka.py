"""A single-node Apache Kafka broker (KRaft, combined broker + controller) run with local Java."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

from devstack.server import LocalServer
from devstack._util import (
    DevstackError,
    Timer,
    free_port,
    kill_stale,
    port_in_use,
    run_sync,
    stop_process,
    tail,
)
from devstack.kafka_dist import kafka_libs, log4j_config_path

HOST = "127.0.0.1"

# Broker settings tuned for one node on a small (2-core) machine and fast tests.
BROKER_SETTINGS: dict[str, str] = {
    "num.partitions": "4",
    "default.replication.factor": "1",
    "auto.create.topics.enable": "false",
    "group.initial.rebalance.delay.ms": "0",
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "4",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "4",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "min.insync.replicas": "1",
    "num.network.threads": "2",
    "num.io.threads": "4",
    "num.recovery.threads.per.data.dir": "1",
    "log.cleaner.threads": "1",
    "log.retention.hours": "168",
    # After a SIGKILL the restarted node must wait for its previous incarnation's session to
    # expire before it can register again (default 9 s); keep that wait short.
    "broker.session.timeout.ms": "4000",
    "broker.heartbeat.interval.ms": "500",
}

# C1 only (TieredStopAtLevel=1): about 40% less CPU to start the broker (measured 5.7 s ->
# 3.3 s of CPU), which matters on a 2-core machine; the lower peak throughput does not for
# local development and tests.
JVM_OPTS: tuple[str, ...] = (
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
)


def _cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


class KafkaNode(LocalServer):
    """One Kafka 4.x broker in KRaft mode whose state lives in `workdir`.

    Ports default to free ones (tests); pass fixed ones for development. The ports are kept
    across stop/start/restart, so clients can reconnect to the same bootstrap address.
    """

    def __init__(
        self,
        workdir: str | os.PathLike[str],
        port: int | None = None,
        controller_port: int | None = None,
        *,
        heap: str = "512m",
        settings: dict[str, str] | None = None,
        jvm_opts: list[str] | None = None,
    ) -> None:
        super().__init__(workdir)
        self.port = port or free_port()
        self.controller_port = controller_port or (port + 1 if port else free_port())
        self.heap = heap
        self.settings = {**BROKER_SETTINGS, **(settings or {})}
        self.jvm_opts = list(JVM_OPTS if jvm_opts is None else jvm_opts)

    # -- addresses and files -------------------------------------------------------------
    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def log_dir(self) -> Path:
        return self.workdir / "logs"

    @property
    def log_path(self) -> Path:
        """The broker's log4j log (INFO)."""
        return self.log_dir / "server.log"

    def _properties(self) -> str:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{HOST}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            **self.settings,
        }
        return "".join(f"{k}={v}\n" for k, v in props.items())

    def _java_cmd(self, libs: Path, main: str, *args: str) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise DevstackError("Java 17+ is needed to run Kafka (or set BATCHFLOW_KAFKA_BOOTSTRAP)")
        cmd = [java, "-Djava.awt.headless=true", f"-Dkafka.logs.dir={self.log_dir}"]
        cfg = log4j_config_path()
        if cfg:
            cmd.append(f"-Dlog4j2.configurationFile={cfg}")
        return [*cmd, *args, "-cp", f"{libs}/*", main]

    # -- lifecycle ----------------------------------------------------------------------
    START_TIMEOUT = 120.0

    def start(self, timeout: float | None = None) -> "KafkaNode":
        """Start the broker (formatting its storage on the first start) and block until it
        answers metadata requests."""
        if self.running:
            return self
        timer = Timer()
        libs = kafka_libs()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(exist_ok=True)
        kill_stale(self.workdir / "kafka.pid", str(self.workdir))
        for p in (self.port, self.controller_port):
            if port_in_use(p):
                raise DevstackError(f"port {p} is already in use; is another Kafka running?")
        props = self.workdir / "server.properties"
        props.write_text(self._properties())
        if not (self.data_dir / "meta.properties").exists():
            id_file = self.workdir / "cluster.id"
            if not id_file.exists():
                id_file.write_text(_cluster_id())
            fmt = subprocess.run(
                self._java_cmd(libs, "kafka.tools.StorageTool", "-Xmx256m")
                # `--cluster-id=<id>`: a base64 id may start with "-" and read as an option.
                + ["format", f"--cluster-id={id_file.read_text().strip()}", "-c", str(props), "--ignore-formatted"],
                capture_output=True,
                text=True,
            )
            if fmt.returncode != 0:
                raise DevstackError(f"kafka storage format failed:\n{fmt.stdout}\n{fmt.stderr}")
        out = open(self.log_dir / "kafka.out", "ab")
        try:
            self._proc = subprocess.Popen(
                self._java_cmd(libs, "kafka.Kafka", f"-Xmx{self.heap}", f"-Xms{self.heap}", *self.jvm_opts)
                + [str(props)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.workdir,
                start_new_session=True,  # Ctrl-C in a terminal reaches devstack, not the broker
            )
        finally:
            out.close()
        (self.workdir / "kafka.pid").write_text(str(self._proc.pid))
        try:
            run_sync(self._wait_ready(time.monotonic() + (timeout or self.START_TIMEOUT)))
        except BaseException:
            self.kill()
            raise
        self.startup_seconds = timer.elapsed
        return self

    async def _wait_ready(self, deadline: float) -> None:
        from aiokafka.admin import AIOKafkaAdminClient

        last: Exception | None = None
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise DevstackError(
                    f"Kafka exited with code {self._proc.returncode} during startup; last log lines:\n"
                    + tail(self.log_dir / "kafka.out", 20) + "\n" + tail(self.log_path, 20)
                )
            if time.monotonic() > deadline:
                raise DevstackError(
                    f"Kafka at {self.bootstrap} not ready in time ({last!r}); see {self.log_path}"
                )
            if port_in_use(self.port):
                admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
                try:
                    await asyncio.wait_for(admin.start(), 5)
                    info = await asyncio.wait_for(admin.describe_cluster(), 5)
                    if info.get("brokers") and info.get("controller_id", -1) >= 0:
                        return
                except Exception as exc:  # noqa: BLE001 - not up yet, keep polling
                    last = exc
                finally:
                    try:
                        await admin.close()
                    except Exception:  # noqa: BLE001
                        pass
            await asyncio.sleep(0.1)

    def stop(self, timeout: float = 30.0) -> None:
        """Controlled shutdown (SIGTERM), SIGKILL if it takes longer than `timeout`."""
        stop_process(self._proc, signal.SIGTERM, timeout)
        self._proc = None
        (self.workdir / "kafka.pid").unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL: a crash. The next start recovers from the data directory."""
        stop_process(self._proc, signal.SIGKILL, 10)
        self._proc = None
        (self.workdir / "kafka.pid").unlink(missing_ok=True)

    def __repr__(self) -> str:
        return f"KafkaNode({str(self.workdir)!r}, bootstrap={self.bootstrap!r}, running={self.running})"
