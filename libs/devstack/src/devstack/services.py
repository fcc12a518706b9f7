"""The services of batchflow: module, HTTP port, database, and the environment each gets."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

HEALTH_PATH = "/health/ready"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port: int  # default HTTP port for `python -m devstack up`
    database: str | None  # its own database; None for the gateway

    @property
    def env_prefix(self) -> str:
        return self.name.upper()


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("orders", "orders", 8101, "orders"),
    ServiceSpec("inventory", "inventory", 8102, "inventory"),
    ServiceSpec("production", "production", 8103, "production"),
    ServiceSpec("shipping", "shipping", 8104, "shipping"),
    ServiceSpec("channels", "channels", 8105, "channels"),
    ServiceSpec("purchasing", "purchasing", 8106, "purchasing"),
    ServiceSpec("gateway", "gateway", 8100, None),
)

SERVICES_BY_NAME: dict[str, ServiceSpec] = {s.name: s for s in SERVICES}

# One database per service that owns state.
DATABASES: tuple[str, ...] = tuple(s.database for s in SERVICES if s.database)


def service_env(
    name: str,
    *,
    bootstrap: str,
    topic_prefix: str,
    db_url: Callable[[str], str],
    ports: Mapping[str, int] | None = None,
    host: str = "127.0.0.1",
) -> dict[str, str]:
    """Environment for service `name`: `<SERVICE>_DATABASE_URL` (its own database, none for
    the gateway), `<SERVICE>_KAFKA_BOOTSTRAP`, `<SERVICE>_TOPIC_PREFIX`, `<SERVICE>_HTTP_PORT`;
    the gateway also gets `GATEWAY_<SERVICE>_URL` for every other service.
    `ports` overrides the default HTTP ports (e.g. free ports in tests)."""
    spec = SERVICES_BY_NAME[name]
    port_of = {s.name: s.port for s in SERVICES} | dict(ports or {})
    p = spec.env_prefix
    env = {
        f"{p}_KAFKA_BOOTSTRAP": bootstrap,
        f"{p}_TOPIC_PREFIX": topic_prefix,
        f"{p}_HTTP_PORT": str(port_of[name]),
    }
    if topic_prefix:
        # A namespaced stack also namespaces consumer groups: otherwise two systems sharing
        # a broker would share (and move) each other's committed offsets.
        env[f"{p}_CONSUMER_GROUP"] = f"{topic_prefix}.{name}"
    if spec.database:
        env[f"{p}_DATABASE_URL"] = db_url(spec.database)
    if name == "gateway":
        for other in SERVICES:
            if other.name != "gateway":
                env[f"GATEWAY_{other.env_prefix}_URL"] = f"http://{host}:{port_of[other.name]}"
    return env


def health_url(name: str, ports: Mapping[str, int] | None = None, host: str = "127.0.0.1") -> str:
    port = (dict(ports or {}).get(name)) or SERVICES_BY_NAME[name].port
    return f"http://{host}:{port}{HEALTH_PATH}"
