"""pytest fixtures for the real stack (loaded automatically through the `pytest11` entry point).

- `stack` (session): Kafka + PostgreSQL in a throwaway directory on free ports, started once
  per session, with the service databases and every registry topic (+ DLT) created.
  With BATCHFLOW_KAFKA_BOOTSTRAP / BATCHFLOW_PG_URL it uses those servers instead and keeps
  the run apart: topics under `stack.topic_prefix` (unless BATCHFLOW_TOPIC_PREFIX is set),
  service databases named `stack.database("orders")` == `<run id>_orders`; both removed
  at the end. Use `stack.service_env(name)`, `stack.topic(name)`, `stack.database(name)`
  rather than literal names, so tests work in both modes.
  With BATCHFLOW_TEST_INFRA=testcontainers the servers are containers on a Docker engine
  (devstack/containers.py: images from BATCHFLOW_TC_KAFKA_IMAGE / BATCHFLOW_TC_POSTGRES_IMAGE),
  this session's own, removed at the end. Tests that stop or kill the servers themselves (the
  chaos suite, some event-kit guarantees) need devstack's own; CI runs tests/e2e this way.
- `fresh_db` (function): a new empty database; its SQLAlchemy URL (postgresql+asyncpg://...),
  a str with `.name` and `.dsn` (postgresql://... for asyncpg.connect). Dropped afterwards.

Both are synchronous fixtures, so sync and async tests can use them.
"""

from __future__ import annotations

import os
import uuid

import pytest

_STACK_KEY = pytest.StashKey["object"]()


class DbUrl(str):
    """A database's SQLAlchemy URL, with `.name` and the plain `.dsn`."""

    name: str
    dsn: str


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest):
    from devstack import sessions
    from devstack.stack import ENV_KAFKA, ENV_PG, ENV_PREFIX, Stack

    from devstack import containers

    workdir = sessions.new_session_dir()
    if containers.selected():
        yield from _container_stack(request, workdir)
        return
    run_id = f"t{uuid.uuid4().hex[:8]}"
    prefix = os.environ.get(ENV_PREFIX, "")
    own_prefix = False
    if os.environ.get(ENV_KAFKA) and not prefix:
        # A shared broker: keep this run's topics apart, and remove them afterwards.
        prefix, own_prefix = run_id, True
    # A shared PostgreSQL: this run's service databases are `<run id>_orders`, ...
    db_prefix = run_id if os.environ.get(ENV_PG) else ""
    s = Stack.from_env(workdir, topic_prefix=prefix, db_prefix=db_prefix)
    try:
        s.start()
    except BaseException:
        sessions.remove_session_dir(workdir)
        raise
    request.session.stash[_STACK_KEY] = s
    try:
        yield s
    finally:
        request.session.stash[_STACK_KEY] = None
        _clean_shared(s, prefix if own_prefix else "", db_prefix)
        s.stop()
        if not os.environ.get("BATCHFLOW_DEVSTACK_KEEP"):
            sessions.remove_session_dir(workdir)


def _container_stack(request: pytest.FixtureRequest, workdir):
    """The `stack` fixture on Kafka and PostgreSQL containers of this session's own: nobody
    else uses them, so no prefixes; they are removed at the end."""
    from devstack import sessions
    from devstack.containers import InfraContainers
    from devstack.stack import Stack

    infra = InfraContainers()
    try:
        infra.start()
        s = Stack(workdir, kafka_bootstrap=infra.bootstrap, pg_url=infra.pg_server_url)
        s.timings.update(infra.timings)
        s.setup()
    except BaseException:
        infra.stop()
        sessions.remove_session_dir(workdir)
        raise
    request.session.stash[_STACK_KEY] = s
    try:
        yield s
    finally:
        request.session.stash[_STACK_KEY] = None
        infra.stop()
        if not os.environ.get("BATCHFLOW_DEVSTACK_KEEP"):
            sessions.remove_session_dir(workdir)


def _clean_shared(s, topic_prefix: str, db_prefix: str) -> None:
    """Best effort: remove what this run created on shared external servers."""
    from devstack._util import run_sync
    from devstack.topics import delete_topics

    try:
        if topic_prefix:
            run_sync(delete_topics(s.bootstrap, topic_prefix))
        if db_prefix:
            for db in s.databases:
                s.drop_database(db)
    except Exception:  # noqa: BLE001
        pass


@pytest.fixture
def fresh_db(stack) -> DbUrl:
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = DbUrl(stack.create_database(name))
    url.name = name
    url.dsn = stack.dsn(name)
    yield url
    try:
        stack.ensure_running()
        stack.drop_database(name)
    except Exception:  # noqa: BLE001 - e.g. the test left PostgreSQL stopped
        pass


def pytest_runtest_setup(item: pytest.Item) -> None:
    # A test that stopped Kafka or PostgreSQL and failed before starting it again must not
    # take the rest of the session down with it.
    s = item.session.stash.get(_STACK_KEY, None)
    if s is not None:
        s.ensure_running()
