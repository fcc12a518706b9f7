"""devstack pieces that need no Kafka or PostgreSQL: the service table, topic specs, processes."""

from __future__ import annotations

import sys

import pytest

from contracts.topics import TOPICS
from devstack import SERVICES, DevstackError, ServiceExited, ServiceProcess, service_env, topic_specs
from devstack._util import free_port

pytestmark = pytest.mark.unit


def test_topic_specs_cover_every_topic_and_its_dead_letter_topic():
    specs = {s.name: s for s in topic_specs("run1")}
    assert len(specs) == 2 * len(TOPICS)
    for t in TOPICS:
        main, dlt = specs[f"run1.{t.name}"], specs[f"run1.{t.dead_letter}"]
        assert main.partitions == dlt.partitions == t.partitions
        assert main.config == ({"cleanup.policy": "compact"} if t.compacted else {})
        assert dlt.config == {}


def test_service_env():
    env = service_env("orders", bootstrap="h:1", topic_prefix="p", db_url=lambda db: f"pg/{db}")
    assert env == {
        "ORDERS_KAFKA_BOOTSTRAP": "h:1",
        "ORDERS_TOPIC_PREFIX": "p",
        "ORDERS_HTTP_PORT": "8101",
        "ORDERS_CONSUMER_GROUP": "p.orders",  # a namespaced stack namespaces its groups too
        "ORDERS_DATABASE_URL": "pg/orders",
    }
    assert "ORDERS_CONSUMER_GROUP" not in service_env("orders", bootstrap="h:1", topic_prefix="", db_url=str)
    gw = service_env("gateway", bootstrap="h:1", topic_prefix="", db_url=str, ports={"shipping": 9999})
    assert "GATEWAY_DATABASE_URL" not in gw
    assert gw["GATEWAY_HTTP_PORT"] == "8100"
    assert gw["GATEWAY_SHIPPING_URL"] == "http://127.0.0.1:9999"
    assert {k for k in gw if k.endswith("_URL")} == {
        f"GATEWAY_{s.name.upper()}_URL" for s in SERVICES if s.name != "gateway"
    }


def test_service_process_runs_becomes_healthy_and_terminates(tmp_path):
    (tmp_path / "www" / "health").mkdir(parents=True)
    (tmp_path / "www" / "health" / "ready").write_text("ok")
    port = free_port()
    proc = ServiceProcess("web", "http.server", log_path=tmp_path / "web.log",
                          args=[str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path / "www")])
    proc.start()
    try:
        proc.wait_healthy(f"http://127.0.0.1:{port}/health/ready", deadline=20)
        assert proc.running
    finally:
        code = proc.terminate(timeout=5)
    assert not proc.running and code is not None


async def test_a_missing_module_is_reported_not_awaited(tmp_path):
    proc = ServiceProcess("ghost", "no_such_module_xyz", log_path=tmp_path / "ghost.log")
    assert not proc.module_available()
    proc.start()
    with pytest.raises(ServiceExited, match="No module named"):
        await proc.wait_healthy_async(f"http://127.0.0.1:{free_port()}/health/ready", deadline=20)


def test_wait_healthy_gives_up_at_the_deadline(tmp_path):
    proc = ServiceProcess("sleeper", "this_is_ignored", python=sys.executable, log_path=tmp_path / "s.log")
    proc.module = "timeit"  # a module that runs (and keeps running) without serving HTTP
    proc.args = ["-n", "100000000", "pass"]
    proc.start()
    try:
        with pytest.raises(DevstackError, match="not healthy"):
            proc.wait_healthy(f"http://127.0.0.1:{free_port()}/health/ready", deadline=1)
    finally:
        proc.kill()


async def test_the_demo_hook_is_called_when_present_and_skipped_quietly_when_not(monkeypatch, capsys):
    import types

    from devstack.cli import _load_demo

    monkeypatch.setitem(sys.modules, "devstack.demo", None)  # as if devstack.demo did not exist
    await _load_demo("http://gw")  # nothing happens
    assert "demo" not in capsys.readouterr().err

    seen = []
    fake = types.ModuleType("devstack.demo")

    async def load_demo(gateway_url: str) -> None:
        seen.append(gateway_url)

    fake.load_demo = load_demo
    monkeypatch.setitem(sys.modules, "devstack.demo", fake)
    await _load_demo("http://gw")
    assert seen == ["http://gw"]

    async def broken(gateway_url: str) -> None:
        raise RuntimeError("boom")

    fake.load_demo = broken
    await _load_demo("http://gw")  # logged, not raised
    assert "demo data failed" in capsys.readouterr().err
