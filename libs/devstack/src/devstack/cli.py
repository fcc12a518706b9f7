"""`python -m devstack up | infra | env | reset`: the local stack for development.

up     Kafka (9092) + PostgreSQL (5433) with data under <repo>/.devstack, the service
       databases and topics, then every service as its own process; streams their logs
       until Ctrl-C / SIGTERM, then stops everything.
infra  Only Kafka + PostgreSQL (+ databases, topics), in the foreground; prints the
       environment each service needs (run services from an IDE).
env    Print `export ...` lines for a service (or all) against the local stack.
reset  Delete <repo>/.devstack (the stack must be stopped).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import shutil
import signal
import sys
from pathlib import Path

from devstack.postgres import traversable
from devstack._util import DevstackError, Timer, find_repo_root, kill_stale, log, pid_alive, port_in_use

DEV_KAFKA_PORT = 9092
DEV_CONTROLLER_PORT = 9093
DEV_PG_PORT = 5433
# The mail catcher: shipping's default SMTP port, and its messages over HTTP beside it.
DEV_SMTP_PORT = 8025
DEV_MAIL_HTTP_PORT = 8026
READY_TIMEOUT = 120.0
# `make run`: a label bought at the EasyPost stand-in says "delivered" this long after purchase.
EASYPOST_DELIVERY_AFTER = 30.0
STOP_TIMEOUT = 15.0


def state_dir() -> Path:
    """`<repo>/.devstack`, or $BATCHFLOW_DEVSTACK_DIR. As root, PostgreSQL runs as another OS
    user; if that user cannot enter the checkout (a clone under a 0700 directory), the state
    goes under the temp directory instead, one place per checkout."""
    env = os.environ.get("BATCHFLOW_DEVSTACK_DIR")
    repo = find_repo_root()
    d = Path(env).resolve() if env else repo / ".devstack"
    if not env and not traversable(repo):
        import hashlib
        import tempfile

        key = hashlib.sha1(str(repo).encode()).hexdigest()[:10]
        root = Path(tempfile.gettempdir()) / f"batchflow-devstack-{os.getuid()}"
        root.mkdir(mode=0o755, exist_ok=True)
        os.chmod(root, 0o755)
        d = root / f"dev-{key}"
        log(f"{repo} is not enterable by the PostgreSQL server's OS user: keeping the stack's data in {d}")
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o755)  # PostgreSQL may run as another OS user and must enter it
    return d


def _dev_stack(args: argparse.Namespace):
    from devstack.stack import Stack

    return Stack.from_env(
        state_dir(),
        kafka_port=args.kafka_port,
        controller_port=args.kafka_port + 1,
        pg_port=args.pg_port,
        verbose=True,
    )


def _summary(stack) -> None:
    log(f"Kafka bootstrap:  {stack.bootstrap}" + ("  (external)" if stack.kafka is None else ""))
    log(f"PostgreSQL:       {stack.pg_server_url}" + ("  (external)" if stack.postgres is None else ""))
    if stack.topic_prefix:
        log(f"topic prefix:     {stack.topic_prefix}")


class _Stopper:
    """SIGINT/SIGTERM set an event that the foreground loop waits for."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.event = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: int) -> None:
        if self.event.is_set():
            log("already stopping, please wait...")
        else:
            log(f"{signal.Signals(sig).name}: stopping...")
        self.event.set()

    async def wait(self) -> None:
        await self.event.wait()


async def _start_infra(stack, stopper: _Stopper) -> bool:
    """Start the stack in a worker thread; False if a stop was requested meanwhile."""
    t = Timer()
    await asyncio.to_thread(stack.start)
    _summary(stack)
    log(f"infrastructure ready in {t}")
    return not stopper.event.is_set()


async def _stop_infra(stack) -> None:
    t = Timer()
    await asyncio.to_thread(stack.stop)
    log(f"Kafka and PostgreSQL stopped ({t})")


# -- up ----------------------------------------------------------------------------------------
async def _up(args: argparse.Namespace) -> int:
    from devstack.logs import LogFollower
    from devstack.processes import ServiceProcess
    from devstack.services import SERVICES, SERVICES_BY_NAME, health_url

    stopper = _Stopper(asyncio.get_running_loop())
    stack = _dev_stack(args)
    procs: dict[str, ServiceProcess] = {}
    follower = LogFollower()
    follow_task: asyncio.Task | None = None
    mail = None
    easypost = None
    try:
        if not await _start_infra(stack, stopper):
            return 0
        mail = _start_mail_catcher(stack.workdir)
        easypost = _start_easypost()
        logs_dir = stack.workdir / "logs"
        wanted = [s for s in SERVICES if not args.only or s.name in args.only]
        for spec in wanted:
            env = stack.service_env(spec.name)
            if mail is not None:
                env.update({"SHIPPING_SMTP_HOST": "127.0.0.1", "SHIPPING_SMTP_PORT": str(mail.smtp_port),
                            "GATEWAY_MAILBOX_URL": mail.url})
            if spec.name == "shipping":
                from devstack.carriers.easypost import shipping_env

                env.update(shipping_env(easypost))
            proc = ServiceProcess(spec.name, spec.module, env, logs_dir / f"{spec.name}.log")
            if not proc.module_available():
                log(f"{spec.name}: `python -m {spec.module}` is not runnable "
                    "(module or its __main__ missing; not written yet?); skipped")
                continue
            # A service left running by an earlier `up` that was killed would hold the port.
            pidfile = stack.workdir / "run" / f"{spec.name}.pid"
            kill_stale(pidfile, f"-m {spec.module}", signal.SIGTERM)
            if port_in_use(spec.port):
                log(f"{spec.name}: port {spec.port} is already in use; skipped")
                continue
            follower.add(spec.name, proc.log_path)
            proc.start()
            pidfile.parent.mkdir(exist_ok=True)
            pidfile.write_text(str(proc.pid))
            procs[spec.name] = proc
        if not procs:
            log("no service could be started; infrastructure keeps running (Ctrl-C to stop)")
        follow_task = asyncio.create_task(follower.run())
        # The backends first; the gateway's /health/ready is only 200 when every backend is
        # ready, so with a backend missing it is waited for on /health/live instead.
        backends = {n: p for n, p in procs.items() if n != "gateway"}
        ready = await _wait_ready(backends, health_url, stopper)
        if "gateway" in procs and not stopper.event.is_set():
            missing = sorted({s.name for s in SERVICES if s.name != "gateway"} - ready)
            url = health_url("gateway")
            if missing:
                url = url.replace("/health/ready", "/health/live")
                log(f"gateway: waiting for /health/live only, as {', '.join(missing)} is not ready")
            ready |= await _wait_ready({"gateway": procs["gateway"]}, lambda _n: url, stopper)
        if stopper.event.is_set():
            return 0

        gateway = f"http://127.0.0.1:{SERVICES_BY_NAME['gateway'].port}"
        if "gateway" in ready:
            log(f"gateway:  {gateway}   (OpenAPI docs: {gateway}/docs)")
        else:
            log("gateway is not running; the services' own ports: "
                + ", ".join(f"{n} http://127.0.0.1:{s.port}" for s in SERVICES for n in [s.name] if n in ready))
        if not args.no_demo and "gateway" in ready:
            if ready >= {s.name for s in SERVICES}:
                await _load_demo(gateway)
            else:
                log("demo data not loaded: not every service is ready")
        floor_task = None
        if args.floor and "gateway" in ready:
            from devstack.floor import ShopFloor

            floor = ShopFloor(gateway)
            floor_task = asyncio.create_task(floor.run(stopper.event))
            log("simulated shop floor on: planned batches are produced and prepared shipments shipped at once")
        log("running; Ctrl-C stops everything")
        await _watch(procs, stopper)
        if floor_task is not None:
            await floor_task
            await floor.close()
        return 0
    finally:
        if procs:
            t = Timer()
            await asyncio.gather(*(asyncio.to_thread(p.terminate, STOP_TIMEOUT) for p in procs.values()))
            for name in procs:
                (stack.workdir / "run" / f"{name}.pid").unlink(missing_ok=True)
            log(f"services stopped ({t})")
        if mail is not None:
            mail.stop()
        if easypost is not None:
            easypost.stop()
        if follow_task is not None:
            follow_task.cancel()
            try:
                await follow_task
            except asyncio.CancelledError:
                pass
        await _stop_infra(stack)


def _start_mail_catcher(workdir: Path):
    """Customer e-mails really leave shipping and land here (kept in <state>/mail.jsonl)."""
    from devstack.mailcatcher import MailCatcher

    if port_in_use(DEV_SMTP_PORT) or port_in_use(DEV_MAIL_HTTP_PORT):
        log(f"mail catcher: port {DEV_SMTP_PORT} or {DEV_MAIL_HTTP_PORT} is in use; e-mails go to whatever listens there")
        return None
    mail = MailCatcher(DEV_SMTP_PORT, DEV_MAIL_HTTP_PORT, workdir / "mail.jsonl").start()
    log(f"mail catcher: SMTP 127.0.0.1:{DEV_SMTP_PORT}, messages at {mail.url}/messages")
    return mail


def _start_easypost():
    """Labels are bought from the EasyPost stand-in (a free port): each bought label's tracker
    reports in transit, then delivered a little later, to the gateway's public webhook door."""
    from devstack.carriers.easypost import EasyPostStandIn
    from devstack.services import SERVICES_BY_NAME

    gateway = f"http://127.0.0.1:{SERVICES_BY_NAME['gateway'].port}"
    easypost = EasyPostStandIn(webhook_url=f"{gateway}/webhooks/easypost", auto_deliver_after=EASYPOST_DELIVERY_AFTER)
    easypost.start()
    log(f"EasyPost stand-in: {easypost.url}/v2 (labels bought there are delivered {EASYPOST_DELIVERY_AFTER:.0f} s later)")
    return easypost


async def _wait_ready(procs, health_url, stopper: _Stopper) -> set[str]:
    from devstack.processes import ServiceExited

    ready: set[str] = set()

    async def one(name, proc) -> None:
        t = Timer()
        try:
            await proc.wait_healthy_async(health_url(name), READY_TIMEOUT)
            ready.add(name)
            log(f"{name}: ready ({t})")
        except ServiceExited:
            log(f"{name}: FAILED to start: exited with code {proc.returncode} (output above; {proc.log_path})")
        except DevstackError as exc:
            log(f"{name}: not ready - {exc}; it keeps running")

    waiting = asyncio.gather(*(one(n, p) for n, p in procs.items()))
    stop = asyncio.create_task(stopper.wait())
    await asyncio.wait([waiting, stop], return_when=asyncio.FIRST_COMPLETED)
    if not waiting.done():
        waiting.cancel()
        try:
            await waiting
        except asyncio.CancelledError:
            pass
    stop.cancel()
    return ready


async def _load_demo(gateway_url: str) -> None:
    try:
        demo = importlib.import_module("devstack.demo")
    except ModuleNotFoundError as exc:
        if exc.name == "devstack.demo":
            return
        log(f"demo data not loaded: {exc!r}")
        return
    load = getattr(demo, "load_demo", None)
    if load is None:
        return
    t = Timer()
    log("loading demo data...")
    try:
        await load(gateway_url)
        log(f"demo data loaded ({t})")
    except Exception as exc:  # noqa: BLE001 - the stack keeps running without demo data
        log(f"demo data failed: {exc!r}")


async def _watch(procs, stopper: _Stopper) -> None:
    """Until a stop is requested: report services that exit on their own (once each)."""
    reported: set[str] = set()
    while not stopper.event.is_set():
        for name, p in procs.items():
            if name not in reported and not p.running:
                reported.add(name)
                log(f"{name}: exited with code {p.returncode} (the rest keeps running)")
        try:
            await asyncio.wait_for(stopper.wait(), 1.0)
        except asyncio.TimeoutError:
            pass


# -- infra / env / reset -------------------------------------------------------------------------
async def _infra(args: argparse.Namespace) -> int:
    stopper = _Stopper(asyncio.get_running_loop())
    stack = _dev_stack(args)
    try:
        if not await _start_infra(stack, stopper):
            return 0
        _print_env(stack, None)
        log("infrastructure running; Ctrl-C stops it")
        await stopper.wait()
        return 0
    finally:
        await _stop_infra(stack)


def _print_env(stack, only: str | None) -> None:
    from devstack.services import SERVICES

    for spec in SERVICES:
        if only and spec.name != only:
            continue
        print(f"# {spec.name}: python -m {spec.module}")
        for k, v in stack.service_env(spec.name).items():
            print(f"export {k}={v}")
    sys.stdout.flush()


def _env(args: argparse.Namespace) -> int:
    _print_env(_dev_stack(args), args.service)
    return 0


def _reset(args: argparse.Namespace) -> int:
    env = os.environ.get("BATCHFLOW_DEVSTACK_DIR")
    d = Path(env).resolve() if env else find_repo_root() / ".devstack"
    if not d.exists():
        log(f"nothing to delete ({d} does not exist)")
        return 0
    for pidfile in (d / "kafka" / "kafka.pid", d / "pg" / "data" / "postmaster.pid"):
        try:
            pid = int(pidfile.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            continue
        if pid_alive(pid):
            if not args.force:
                log(f"a stack is still running from {d} (pid {pid}); stop it first, or use --force")
                return 1
            kill_stale(pidfile, str(d), signal.SIGKILL)
    shutil.rmtree(d)
    log(f"deleted {d}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)

    def ports(p: argparse.ArgumentParser) -> None:
        p.add_argument("--kafka-port", type=int, default=DEV_KAFKA_PORT, help="broker port (controller: +1)")
        p.add_argument("--pg-port", type=int, default=DEV_PG_PORT)

    up = sub.add_parser("up", help="infrastructure + every service, logs in the foreground")
    ports(up)
    up.add_argument("--no-demo", action="store_true", help="do not load demo data")
    up.add_argument("--floor", action="store_true",
                    help="simulate the shop floor: start/complete planned batches and ship prepared shipments")
    up.add_argument("--only", nargs="+", metavar="SERVICE", help="start only these services")
    infra = sub.add_parser("infra", help="only Kafka + PostgreSQL (+ databases, topics)")
    ports(infra)
    env = sub.add_parser("env", help="print the environment of a service (default: all)")
    ports(env)
    env.add_argument("service", nargs="?")
    reset = sub.add_parser("reset", help="delete .devstack (all local data)")
    reset.add_argument("--force", action="store_true", help="kill a stack still running from it")
    args = parser.parse_args(argv)

    try:
        if args.cmd == "up":
            return asyncio.run(_up(args))
        if args.cmd == "infra":
            return asyncio.run(_infra(args))
        if args.cmd == "env":
            return _env(args)
        return _reset(args)
    except DevstackError as exc:
        log(f"error: {exc}")
        return 1
