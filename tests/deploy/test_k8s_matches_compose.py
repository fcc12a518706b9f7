"""The two production shapes of deploy/ say the same thing: every kustomize overlay renders,
and the rendered Deployments run the image, commands, ports, probes and settings names that
docker-compose.yml runs (the compose file is the one CI actually brings up and drives).

Every settings name must also be a field of the service's own Settings (env prefix + field),
so a renamed setting cannot linger in either file. Rendering needs kustomize: BATCHFLOW_KUSTOMIZE
(`make test-deploy` builds it, deploy/scripts/kustomize.sh), else one on PATH, else skipped.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

from devstack.services import SERVICES_BY_NAME

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
# The overlay compared with compose: it carries every component (databases, tracing, policies).
FULL = K8S / "overlays" / "example"
# Names a Deployment may have beyond compose's: $(VAR) parts the cloudnative-pg component
# composes <PREFIX>DATABASE_URL from (they are no settings of the service).
COMPOSITION_ONLY = {"DB_USER", "DB_PASSWORD"}
# Compose settings the cluster does not take, each for a reason.
COMPOSE_ONLY: dict[str, set[str]] = {}
# Settings every service reads besides its own prefix (the OpenTelemetry SDK's).
SHARED_SETTINGS = {"OTEL_EXPORTER_OTLP_ENDPOINT"}


def kustomize() -> str:
    found = os.environ.get("BATCHFLOW_KUSTOMIZE") or shutil.which("kustomize")
    if not found:
        pytest.skip("no kustomize (make test-deploy builds one; or set BATCHFLOW_KUSTOMIZE)")
    return found


@cache
def render(path: Path) -> tuple[dict, ...]:
    out = subprocess.run([kustomize(), "build", str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"kustomize build {path.relative_to(ROOT)} failed:\n{out.stderr}"
    return tuple(d for d in yaml.safe_load_all(out.stdout) if d)


@cache
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def app_services() -> dict[str, dict]:
    """Compose's services that run the batchflow image as a service (not jobs, not tools)."""
    return {name: svc for name, svc in compose()["services"].items()
            if name in SERVICES_BY_NAME and svc.get("command") == [SERVICES_BY_NAME[name].module]}


def deployments(docs) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}


def container(deployment: dict) -> dict:
    (c,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == deployment["metadata"]["name"]]
    return c


def k8s_env_names(docs, deployment: dict) -> set[str]:
    c = container(deployment)
    names = {e["name"] for e in c.get("env", [])}
    maps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    for src in c.get("envFrom", []):
        names |= set(maps[src["configMapRef"]["name"]].get("data", {}))
    return names


def compose_env(svc: dict) -> dict[str, str]:
    env = svc.get("environment", {})
    return dict(env) if isinstance(env, dict) else dict(e.split("=", 1) for e in env)


def compose_health(svc: dict) -> tuple[str, int]:
    """(path, port) the compose health check asks."""
    m = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]+)", " ".join(svc["healthcheck"]["test"]))
    assert m, f"compose health check is not an HTTP probe: {svc['healthcheck']['test']}"
    return m.group(2), int(m.group(1))


def port_of(c: dict, probe: dict) -> int:
    port = probe["httpGet"]["port"]
    return port if isinstance(port, int) else {p["name"]: p["containerPort"] for p in c["ports"]}[port]


def settings_names(service: str) -> set[str]:
    module = importlib.import_module(f"{SERVICES_BY_NAME[service].module}.settings")
    settings = module.Settings
    prefix = settings.model_config["env_prefix"]
    return {f"{prefix}{name}".upper() for name in settings.model_fields}


@pytest.mark.parametrize("overlay", [K8S / "base", *OVERLAYS], ids=lambda p: str(p.relative_to(K8S)))
def test_every_overlay_renders(overlay):
    docs = render(overlay)
    assert set(deployments(docs)) >= set(app_services())


def test_compose_and_the_cluster_run_the_same_services():
    assert set(deployments(render(FULL))) - {"otel-collector"} == set(app_services())


def test_every_service_of_the_system_is_in_both_shapes():
    missing = {s for s in SERVICES_BY_NAME if s not in app_services()}
    assert not missing, f"services of devstack's table missing from docker-compose.yml and deploy/k8s: {missing}"


@pytest.mark.parametrize("service", sorted(app_services()))
def test_deployment_runs_what_compose_runs(service):
    docs = render(FULL)
    svc, c = app_services()[service], container(deployments(docs)[service])
    # The same image (the registry path and tag are the deployment's own) and command.
    assert svc["image"].split(":")[0] == "batchflow"
    assert c["image"].rsplit(":", 1)[0].rsplit("/", 1)[-1] == "batchflow"
    assert c["args"] == svc["command"]
    # The same port, and the one the service is told to listen on.
    port = int(compose_env(svc)[f"{service.upper()}_HTTP_PORT"])
    assert [p["containerPort"] for p in c["ports"]] == [port]
    # Probes on the same endpoints as compose's health check (liveness always /health/live).
    path, health_port = compose_health(svc)
    assert health_port == port
    assert c["livenessProbe"]["httpGet"]["path"] == "/health/live" and port_of(c, c["livenessProbe"]) == port
    readiness = c["readinessProbe"]
    if service == "gateway":
        # Deliberate: the gateway's /health/ready fails while any one service is down, which
        # would take the whole API off the Ingress; compose only uses it for start-up order.
        assert readiness["httpGet"]["path"] == "/health/live"
    else:
        assert readiness["httpGet"]["path"] == path == "/health/ready"
    assert port_of(c, readiness) == port


@pytest.mark.parametrize("service", sorted(app_services()))
def test_deployment_sets_the_settings_compose_sets(service):
    docs = render(FULL)
    in_compose = set(compose_env(app_services()[service])) - COMPOSE_ONLY.get(service, set())
    in_k8s = k8s_env_names(docs, deployments(docs)[service]) - COMPOSITION_ONLY
    assert in_k8s == in_compose, f"only in k8s: {in_k8s - in_compose}; only in compose: {in_compose - in_k8s}"
    unknown = in_compose - settings_names(service) - SHARED_SETTINGS
    assert not unknown, f"{service}: not settings of {service}.settings.Settings: {unknown}"


def test_the_clusters_kafka_topics_are_the_registrys():
    """base/kafka/topics.yaml is generated from the registry; a topic added to contracts
    without regenerating it would be missing in the cluster (auto-creation is off)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("create_topics", ROOT / "deploy" / "create-topics.py")
    create_topics = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(create_topics)
    expected = create_topics.strimzi_topics("", 3, 2)
    assert (K8S / "base" / "kafka" / "topics.yaml").read_text() == expected, (
        "regenerate: python deploy/create-topics.py --k8s --replication-factor 3 --min-insync-replicas 2 "
        "> deploy/k8s/base/kafka/topics.yaml")
