"""Kafka + PostgreSQL together, local or external, with the service databases and topics."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from devstack._util import Timer, log, run_sync
from devstack.kafka import KafkaNode
from devstack.postgres import PostgresNode, create_databases, drop_database, dsn, sqlalchemy_url
from devstack.services import DATABASES, service_env
from devstack.topics import create_topics, warm_up_group_coordinator

ENV_KAFKA = "BATCHFLOW_KAFKA_BOOTSTRAP"
ENV_PG = "BATCHFLOW_PG_URL"
ENV_PREFIX = "BATCHFLOW_TOPIC_PREFIX"


class Stack:
    """The infrastructure the services need.

    `kafka_bootstrap` / `pg_url` (a server URL such as `postgresql://user:pw@host:5432`)
    point at external servers; devstack then starts nothing for that part and only creates
    topics / databases. Otherwise a KafkaNode lives in `workdir/kafka` and a PostgresNode
    in `workdir/pg`.
    """

    def __init__(
        self,
        workdir: str | os.PathLike[str],
        *,
        kafka_port: int | None = None,
        controller_port: int | None = None,
        pg_port: int | None = None,
        topic_prefix: str = "",
        kafka_bootstrap: str | None = None,
        pg_url: str | None = None,
        databases: tuple[str, ...] | list[str] = DATABASES,
        db_prefix: str = "",
        pg_settings: dict[str, str] | None = None,
        verbose: bool = False,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.topic_prefix = topic_prefix
        self.db_prefix = db_prefix
        # The service databases as they exist on the server (`<db_prefix>_<name>` when a
        # prefix keeps this stack apart on a shared server).
        self.databases = tuple(self.database(d) for d in databases)
        self.verbose = verbose
        self.kafka = None if kafka_bootstrap else KafkaNode(self.workdir / "kafka", kafka_port, controller_port)
        self.postgres = None if pg_url else PostgresNode(self.workdir / "pg", pg_port, settings=pg_settings)
        self._external_bootstrap = kafka_bootstrap
        self._external_pg = pg_url.rstrip("/") if pg_url else None
        self.timings: dict[str, float] = {}
        self.topics: list[str] = []

    @classmethod
    def from_env(cls, workdir: str | os.PathLike[str], **kwargs) -> "Stack":
        """Like Stack(...), with BATCHFLOW_KAFKA_BOOTSTRAP, BATCHFLOW_PG_URL and
        BATCHFLOW_TOPIC_PREFIX taken from the environment when set."""
        env = os.environ
        kwargs.setdefault("kafka_bootstrap", env.get(ENV_KAFKA) or None)
        kwargs.setdefault("pg_url", env.get(ENV_PG) or None)
        if env.get(ENV_PREFIX):
            kwargs.setdefault("topic_prefix", env[ENV_PREFIX])
        return cls(workdir, **kwargs)

    # -- addresses ---------------------------------------------------------------------------
    @property
    def bootstrap(self) -> str:
        return self._external_bootstrap or self.kafka.bootstrap  # type: ignore[union-attr]

    @property
    def pg_server_url(self) -> str:
        return self._external_pg or self.postgres.server_url  # type: ignore[union-attr]

    def url(self, db: str) -> str:
        """SQLAlchemy URL `postgresql+asyncpg://.../<db>`."""
        return sqlalchemy_url(self.pg_server_url, db)

    def dsn(self, db: str) -> str:
        """Plain `postgresql://.../<db>` for asyncpg.connect."""
        return dsn(self.pg_server_url, db)

    def database(self, name: str) -> str:
        """A service database's name on this stack's server (with the db prefix)."""
        return f"{self.db_prefix}_{name}" if self.db_prefix else name

    def topic(self, name: str) -> str:
        """A registry topic name as it exists in this stack's cluster (with the prefix)."""
        from contracts.topics import qualified

        return qualified(name, self.topic_prefix)

    def namespace(self, name: str) -> "Stack":
        """A view of this stack's servers under a topic and database prefix of its own, set
        up: several systems (the end-to-end suite, service tests) share one broker and one
        PostgreSQL without seeing each other's messages, consumer groups or rows."""
        from contracts.topics import qualified

        view = Stack(
            self.workdir / f"ns-{name}",
            kafka_bootstrap=self.bootstrap,
            pg_url=self.pg_server_url,
            topic_prefix=qualified(name, self.topic_prefix),
            db_prefix=f"{self.db_prefix}_{name}" if self.db_prefix else name,
        )
        view.setup()
        return view

    def service_env(self, name: str, ports: Mapping[str, int] | None = None) -> dict[str, str]:
        """The environment variables service `name` needs to run against this stack."""
        return service_env(
            name,
            bootstrap=self.bootstrap,
            topic_prefix=self.topic_prefix,
            db_url=lambda db: self.url(self.database(db)),
            ports=ports,
        )

    # -- lifecycle ---------------------------------------------------------------------------
    def _say(self, msg: str) -> None:
        if self.verbose:
            log(msg)

    def start(self, *, setup: bool = True) -> "Stack":
        """Start the local servers (PostgreSQL and Kafka side by side), then, with `setup`,
        create the databases and topics."""
        errors: list[BaseException] = []

        def start_pg() -> None:
            try:
                t = Timer()
                cold = not self.postgres.initialized()
                self._say("starting PostgreSQL" + (" (initdb, first run)" if cold else "") + "...")
                self.postgres.start()
                self.timings["postgres_start"] = t.elapsed
                self._say(f"PostgreSQL ready on {self.postgres.server_url} ({t})")
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = []
        if self.postgres is not None:
            threads.append(threading.Thread(target=start_pg, name="devstack-pg"))
            threads[-1].start()
        try:
            if self.kafka is not None:
                t = Timer()
                self._say("starting Kafka...")
                self.kafka.start()
                self.timings["kafka_start"] = t.elapsed
                self._say(f"Kafka ready on {self.kafka.bootstrap} ({t})")
        except BaseException as exc:
            errors.append(exc)
        finally:
            for th in threads:
                th.join()
        if errors:
            self.stop()
            raise errors[0]
        if setup:
            try:
                self.setup()
            except BaseException:
                self.stop()
                raise
        return self

    def setup(self) -> None:
        """Create the service databases and the topics (idempotent)."""
        t = Timer()
        run_sync(self.setup_async())
        self.timings["setup"] = t.elapsed
        self._say(f"{len(self.databases)} databases and {len(self.topics)} topics ready ({t})")

    async def setup_async(self) -> None:
        _, self.topics, _ = await asyncio.gather(
            create_databases(self.pg_server_url, self.databases),
            create_topics(self.bootstrap, self.topic_prefix),
            warm_up_group_coordinator(self.bootstrap),
        )

    def stop(self) -> None:
        """Stop Kafka, then PostgreSQL (local ones only)."""
        if self.kafka is not None:
            self.kafka.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def ensure_running(self) -> None:
        """Start again any local server that is not running (e.g. after a test stopped it)."""
        if self.postgres is not None and not self.postgres.running:
            log("PostgreSQL was left stopped; starting it again")
            self.postgres.start()
        if self.kafka is not None and not self.kafka.running:
            log("Kafka was left stopped; starting it again")
            self.kafka.start()

    def create_database(self, name: str) -> str:
        """Create one more database; returns its SQLAlchemy URL."""
        run_sync(create_databases(self.pg_server_url, [name]))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        run_sync(drop_database(self.pg_server_url, name))

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Stack(bootstrap={self.bootstrap!r}, pg={self.pg_server_url!r}, prefix={self.topic_prefix!r})"
