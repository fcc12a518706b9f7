"""The whole system as separate OS processes on a running Stack: every service (optionally
several instances of one), plus a real SMTP listener standing in for the mail relay so
shipping's customer e-mails are really delivered somewhere. Used by the end-to-end tests and
the benchmark."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from devstack._util import free_port
from devstack.processes import ServiceProcess
from devstack.services import SERVICES


class Mailbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        msg = message_from_bytes(envelope.content)
        part = msg if not msg.is_multipart() else msg.get_payload(0)
        body = part.get_payload(decode=True) or b""
        self.messages.append(
            {"to": list(envelope.rcpt_tos), "subject": msg["Subject"], "body": body.decode("utf-8", "replace")}
        )
        return "250 OK"


@dataclass
class System:
    stack: Any
    workdir: Path
    spans: bool = True
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, list[ServiceProcess]] = field(default_factory=dict)
    mailbox: Mailbox = field(default_factory=Mailbox)
    smtp: Controller | None = None

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
        if name == "shipping" and self.smtp is not None:
            env["SHIPPING_SMTP_HOST"] = "127.0.0.1"
            env["SHIPPING_SMTP_PORT"] = str(self.smtp.port)
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
        self.smtp = Controller(self.mailbox, hostname="127.0.0.1", port=free_port())
        self.smtp.start()
        self.ports = self.ports or {s.name: free_port() for s in SERVICES}
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
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None

    def pids(self) -> dict[str, int]:
        return {p.name: p.pid for ps in self.procs.values() for p in ps if p.running}
