"""Redis and PostgreSQL from Debian's packages, started on 127.0.0.1 for one test or benchmark.

Why real servers: the CeleryExecutor needs a broker (Redis) and refuses SQLite as the
metadata database, so the distributed e2e and benchmark run the same two servers a
production Celery deployment runs. ``scripts/ensure-debian-packages.sh redis-server
postgresql`` (run by ``make e2e-distributed``) installs them on a fresh machine.

Each server lives in a temporary directory, listens on a free loopback port, keeps no
data worth keeping (no fsync, no snapshots) and is stopped, with its whole process
group, on the way out. PostgreSQL refuses to run as root, so as root it runs as the
``postgres`` user Debian's package creates.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "run `bash scripts/ensure-debian-packages.sh redis-server postgresql` first"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A ``redis-server`` on a free loopback port; yields its ``redis://`` URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(f"redis-server is not installed: {INSTALL_HINT}")
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly"]
    args += ["no", "--dir", str(workdir), "--logfile", str(workdir / "redis.log")]
    proc = subprocess.Popen(args, start_new_session=True)
    try:
        _wait_port(port, proc, 30, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(proc)


def postgres_bin_dir() -> Path:
    """Debian's newest ``/usr/lib/postgresql/<version>/bin`` (initdb is not on PATH there)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError(f"PostgreSQL is not installed: {INSTALL_HINT}")


def _version_key(path: str) -> float:
    try:
        return float(Path(path).parents[1].name)
    except ValueError:
        return 0.0


@dataclass(frozen=True)
class Postgres:
    """A running server: the database ``airflow`` owned by ``user``, no password (trust)."""

    port: int
    user: str
    database: str = "airflow"

    def url(self, driver: str = "postgresql+psycopg2") -> str:
        return f"{driver}://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={self.database}"


@contextlib.contextmanager
def postgres_server(max_connections: int = 300) -> Iterator[Postgres]:
    """``initdb`` into a fresh directory under /tmp, start ``postgres``, create ``airflow``.

    Durability is off (``fsync``, ``synchronous_commit``, ``full_page_writes``): the data
    is thrown away, and on 2 CPUs the metadata DB should not be what a test measures.
    """
    bindir = postgres_bin_dir()
    as_root = os.geteuid() == 0
    user = "postgres" if as_root else pwd.getpwuid(os.geteuid()).pw_name
    run_as = {"user": user} if as_root else {}
    root = Path(tempfile.mkdtemp(prefix="seedance-pg-", dir="/tmp"))
    data = root / "data"
    if as_root:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    proc: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", user, "-A", "trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            cwd=root,
            **run_as,  # type: ignore[arg-type]
        )
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(root),
            "max_connections": str(max_connections),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "128MB",
        }
        args = [str(bindir / "postgres"), "-D", str(data)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        log = (root / "postgres.log").open("ab")
        proc = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=root, **run_as
        )
        _wait_port(port, proc, 60, "postgres")
        server = Postgres(port=port, user=user)
        _create_database(server)
        yield server
    finally:
        if proc is not None:
            _stop(proc, signal.SIGINT)  # "fast" shutdown
        shutil.rmtree(root, ignore_errors=True)


def _create_database(server: Postgres) -> None:
    import psycopg2

    deadline = time.monotonic() + 30
    while True:
        try:
            conn = psycopg2.connect(
                host="127.0.0.1", port=server.port, user=server.user, dbname="postgres"
            )
            break
        except psycopg2.OperationalError:  # listening, not yet accepting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    conn.autocommit = True
    with contextlib.closing(conn), conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{server.database}"')
