"""`python -m devstack infra | env | reset` as a developer runs them (own state dir, free ports)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from devstack._util import free_port, pid_alive
from devstack.sessions import new_session_dir, remove_session_dir

pytestmark = pytest.mark.integration


def test_infra_runs_in_the_foreground_and_stops_cleanly_on_sigint():
    state = new_session_dir()
    env = {**os.environ, "BATCHFLOW_DEVSTACK_DIR": str(state / "dev")}
    env.pop("BATCHFLOW_KAFKA_BOOTSTRAP", None)
    env.pop("BATCHFLOW_PG_URL", None)
    ports = ["--kafka-port", str(free_port()), "--pg-port", str(free_port())]
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack", "infra", *ports],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    out: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            out.append(line)
            if "infrastructure running" in line:
                break
        text = "".join(out)
        assert "infrastructure running" in text, text
        assert "export ORDERS_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:" in text
        assert "export GATEWAY_CHANNELS_URL=http://127.0.0.1:8105" in text
        kafka_pid = int((state / "dev" / "kafka" / "kafka.pid").read_text())
        pg_pid = int((state / "dev" / "pg" / "data" / "postmaster.pid").read_text().split()[0])

        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, text + rest
        assert "Kafka and PostgreSQL stopped" in rest
        assert not pid_alive(kafka_pid) and not pid_alive(pg_pid)

        printed = subprocess.run([sys.executable, "-m", "devstack", "env", "shipping", *ports],
                                 env=env, capture_output=True, text=True, check=True).stdout
        assert "export SHIPPING_KAFKA_BOOTSTRAP=127.0.0.1:" in printed and "ORDERS_" not in printed

        subprocess.run([sys.executable, "-m", "devstack", "reset"], env=env, check=True, capture_output=True)
        assert not (state / "dev").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        remove_session_dir(state)
