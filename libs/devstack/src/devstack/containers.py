"""Kafka and PostgreSQL from a Docker engine, through testcontainers, for the test fixtures.

`BATCHFLOW_TEST_INFRA=testcontainers` makes the `stack` fixture (pytest_plugin.py) take its
servers from here instead of starting devstack's own processes; anything else (the default)
keeps the embedded devstack. The containers get the same broker and server settings as
devstack's (kafka.BROKER_SETTINGS, postgres.DEFAULT_SETTINGS), so a test cannot tell them
apart beyond the addresses.

Images (the registry's by default; on a machine without one, the local stand-ins of
deploy/docker/build-local-images.sh, listed in deploy/docker/local.env):

- `BATCHFLOW_TC_KAFKA_IMAGE`: an image with Confluent's layout, which testcontainers'
  KafkaContainer drives (default confluentinc/cp-kafka:8.0.0, Apache Kafka 4.0, KRaft only);
  local/kafka:4.1.1 has that layout around Apache Kafka's own jars.
- `BATCHFLOW_TC_POSTGRES_IMAGE`: default postgres:17 (local/postgres:15 behaves alike).

Ryuk, testcontainers' reaper, is disabled unless `TESTCONTAINERS_RYUK_DISABLED` says
otherwise: its image cannot be pulled where there is no registry, and the fixture removes its
containers itself at the end of the session (every container carries testcontainers' session
label, so `docker rm -f $(docker ps -aq --filter label=org.testcontainers=true)` clears what a
killed run left).

Nothing here touches Docker at import time; testcontainers itself is imported on start.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from devstack._util import DevstackError, Timer, log
from devstack.kafka import BROKER_SETTINGS, JVM_OPTS
from devstack.postgres import DEFAULT_SETTINGS, SUPERUSER

ENV_INFRA = "BATCHFLOW_TEST_INFRA"
ENV_KAFKA_IMAGE = "BATCHFLOW_TC_KAFKA_IMAGE"
ENV_POSTGRES_IMAGE = "BATCHFLOW_TC_POSTGRES_IMAGE"
DEFAULT_KAFKA_IMAGE = "confluentinc/cp-kafka:8.0.0"
DEFAULT_POSTGRES_IMAGE = "postgres:17"
PG_PASSWORD = "devstack"


def selected() -> bool:
    """True when the tests are to take Kafka and PostgreSQL from testcontainers."""
    return os.environ.get(ENV_INFRA, "").strip().lower() == "testcontainers"


def kafka_env(settings: dict[str, str]) -> dict[str, str]:
    """Broker properties as the KAFKA_* variables of Confluent's and apache/kafka's images
    (`a.b_c-d` -> `KAFKA_A_B__C___D`)."""
    return {
        "KAFKA_" + k.replace("_", "__").replace("-", "___").replace(".", "_").upper(): v
        for k, v in settings.items()
    }


@dataclass
class InfraContainers:
    """A Kafka container (KRaft, one node) and a PostgreSQL container, started side by side."""

    kafka_image: str = field(default_factory=lambda: os.environ.get(ENV_KAFKA_IMAGE) or DEFAULT_KAFKA_IMAGE)
    postgres_image: str = field(default_factory=lambda: os.environ.get(ENV_POSTGRES_IMAGE) or DEFAULT_POSTGRES_IMAGE)
    timings: dict[str, float] = field(default_factory=dict)
    _kafka: Any = None
    _postgres: Any = None

    @property
    def bootstrap(self) -> str:
        return self._kafka.get_bootstrap_server()

    @property
    def pg_server_url(self) -> str:
        """`postgresql://postgres:<pw>@host:port`, the form Stack(pg_url=...) takes."""
        host = self._postgres.get_container_host_ip()
        port = self._postgres.get_exposed_port(5432)
        return f"postgresql://{SUPERUSER}:{PG_PASSWORD}@{host}:{port}"

    def start(self) -> "InfraContainers":
        try:
            from testcontainers.community.kafka import KafkaContainer
            from testcontainers.community.postgres import PostgresContainer
            from testcontainers.core.config import testcontainers_config
        except ImportError as exc:  # the dev dependency group brings it (uv sync --group dev)
            raise DevstackError(f"{ENV_INFRA}=testcontainers needs testcontainers and packaging: {exc}") from exc

        if os.environ.get("TESTCONTAINERS_RYUK_DISABLED") is None:
            testcontainers_config.ryuk_disabled = True

        class ApacheKafkaContainer(KafkaContainer):
            # KafkaContainer reads the image tag as a Confluent Platform version and refuses
            # KRaft below 7.0.0; local/kafka:4.1.1 is tagged with Apache Kafka's version.
            def _verify_min_kraft_version(self) -> None:
                pass

        kafka = ApacheKafkaContainer(self.kafka_image).with_kraft()
        for key, value in kafka_env(BROKER_SETTINGS).items():
            kafka.with_env(key, value)
        kafka.with_env("KAFKA_HEAP_OPTS", "-Xmx512m -Xms256m")
        kafka.with_env("KAFKA_OPTS", " ".join(JVM_OPTS))  # devstack's: a cheaper JVM start on 2 cores
        postgres = PostgresContainer(self.postgres_image, username=SUPERUSER, password=PG_PASSWORD,
                                     dbname="postgres", driver=None)
        postgres.with_command(["postgres", *(arg for k, v in DEFAULT_SETTINGS.items() for arg in ("-c", f"{k}={v}"))])
        def timed(name: str, start):
            t = Timer()
            started = start()
            self.timings[name] = t.elapsed
            return started

        # Side by side, as devstack starts its own servers. Kafka: 120 s for a cold JVM on a
        # busy 2-core machine; it is usually up in 10-20 s.
        with ThreadPoolExecutor(2, thread_name_prefix="devstack-tc") as pool:
            pg_future = pool.submit(timed, "postgres_start", postgres.start)
            kafka_future = pool.submit(timed, "kafka_start", lambda: kafka.start(timeout=120))
        try:
            self._postgres = pg_future.result()
        except BaseException:
            self._postgres = None
        try:
            self._kafka = kafka_future.result()
        except BaseException:
            self._kafka = None
        if self._postgres is None or self._kafka is None:
            failed = pg_future.exception() or kafka_future.exception()
            # A container whose start failed half-way is still there: remove both.
            self._postgres, self._kafka = postgres, kafka
            self.stop()
            raise DevstackError(f"testcontainers could not start Kafka and PostgreSQL: {failed!r}") from failed
        log(f"testcontainers: Kafka {self.kafka_image} at {self.bootstrap}, "
            f"PostgreSQL {self.postgres_image} at {self.pg_server_url.rsplit('@', 1)[1]}")
        return self

    def stop(self) -> None:
        for container in (self._kafka, self._postgres):
            if container is not None:
                try:
                    container.stop()
                except Exception as exc:  # noqa: BLE001 - the engine may already be gone
                    log(f"testcontainers: stopping a container failed: {exc!r}")
        self._kafka = self._postgres = None
