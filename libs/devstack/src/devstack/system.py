"""The whole system as separate OS processes on a running Stack: every service (optionally
several instances of one), plus the mail catcher (a real SMTP listener) standing in for the
mail relay so shipping's customer e-mails are really delivered somewhere, and the EasyPost
stand-in (labels bought there, its signed tracker webhooks sent to the gateway). Used by the
end-to-end tests and the benchmark."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack._util import free_port
from devstack.carriers.easypost import EasyPostStandIn, shipping_env
from devstack.mailcatcher import MailCatcher, Mailbox
from devstack.processes import ServiceProcess
from devstack.services import SERVICES


@dataclass
class System:
    stack: Any
    workdir: Path
    spans: bool = True
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, list[ServiceProcess]] = field(default_factory=dict)
    mail: MailCatcher | None = None
    easypost: EasyPostStandIn | None = None
    # Added to every process' environment last (e.g. OTEL_EXPORTER_OTLP_ENDPOINT for a test's
    # own OTLP receiver), so it can override what the system sets.
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def mailbox(self) -> Mailbox:
        assert self.mail is not None, "the system is not started"
        return self.mail.mailbox

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env_for(self, name: str, instance: int = 0) -> dict[str, str]:
        env = self.stack.service_env(name, self.ports)
        prefix = name.upper()
        if instance:
            env[f"{prefix}_HTTP_PORT"] = str(free_port())
        if self.spans:
            env[f"{prefix}_OTEL_SPANS_FILE"] = str(self.workdir / f"spans-{name}-{instance}.jsonl")
        env[f"{prefix}_RETRY_BACKOFF_INITIAL"] = "0.05"
        # Static membership: a restarted instance takes its partitions back without a rebalance.
        env[f"{prefix}_INSTANCE_ID"] = f"{name}-{instance}"
        if name == "shipping" and self.mail is not None:
            env["SHIPPING_SMTP_HOST"] = "127.0.0.1"
            env["SHIPPING_SMTP_PORT"] = str(self.mail.smtp_port)
        if name == "shipping":
            # The customer's status links point at this system's gateway, not the dev stack's 8100.
            env["SHIPPING_PUBLIC_BASE_URL"] = self.gateway
        if name == "shipping" and self.easypost is not None:
            env.update(shipping_env(self.easypost))
        if name == "gateway" and self.mail is not None:
            env["GATEWAY_MAILBOX_URL"] = self.mail.url
        env.update(self.extra_env)
        return env

    def start_service(self, name: str, instance: int = 0) -> ServiceProcess:
        env = self.env_for(name, instance)
        proc = ServiceProcess(f"{name}-{instance}", name, env, self.workdir / f"{name}-{instance}.log")
        proc.http_port = int(env[f"{name.upper()}_HTTP_PORT"])
        proc.start()
        self.procs.setdefault(name, []).append(proc)
        return proc

    async def wait_ready(self, deadline: float = 90) -> None:
        await asyncio.gather(
            *(
                p.wait_healthy_async(f"http://127.0.0.1:{p.http_port}/health/ready", deadline=deadline)
                for ps in self.procs.values()
                for p in ps
                if p.running
            )
        )

    async def start(self, extra_instances: dict[str, int] | None = None) -> "System":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.mail = MailCatcher(free_port(), free_port()).start()
        self.ports = self.ports or {s.name: free_port() for s in SERVICES}
        self.easypost = EasyPostStandIn(webhook_url=f"{self.gateway}/webhooks/easypost").start()
        for s in SERVICES:
            self.start_service(s.name)
        for name, n in (extra_instances or {}).items():
            for i in range(1, n + 1):
                self.start_service(name, i)
        await self.wait_ready()
        return self

    def stop(self) -> None:
        for ps in self.procs.values():
            for p in ps:
                if p.running:
                    p.terminate(timeout=10)
        if self.mail is not None:
            self.mail.stop()
            self.mail = None
        if self.easypost is not None:
            self.easypost.stop()
            self.easypost = None

    def pids(self) -> dict[str, int]:
        return {p.name: p.pid for ps in self.procs.values() for p in ps if p.running}
