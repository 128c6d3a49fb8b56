"""A real Airflow 3 deployment on loopback, for the e2e and reliability suites.

Processes: ``api-server`` (the Execution API the workers talk to), ``scheduler`` (with
LocalExecutor), ``dag-processor`` and ``triggerer``, all on 127.0.0.1 with SQLite in a
temporary ``AIRFLOW_HOME``. Airflow 3 accepts SQLite with LocalExecutor (the
SequentialExecutor restriction of Airflow 2 is gone); parallelism stays small so SQLite's
single writer copes. Every process gets its own process group, so stopping one stops
the task processes it forked.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import diagnosis

AIRFLOW = str(Path(sys.executable).with_name("airflow"))

#: Settings every test deployment shares: fast heartbeats, loopback, no examples.
ENV_TEMPLATE = {
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    "AIRFLOW__CORE__PARALLELISM": "4",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
    "AIRFLOW__API__HOST": "127.0.0.1",
    "AIRFLOW__API__WORKERS": "1",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
    "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
    "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "6",
    "NO_PROXY": "127.0.0.1,localhost",
}


def deployment_env(
    home: Path,
    port: int,
    extra: dict[str, str],
    *,
    jwt_secret: str,
    logging_level: str = "INFO",
) -> dict[str, str]:
    """The environment of every process: this process's, minus any ``AIRFLOW*`` variable,
    plus :data:`ENV_TEMPLATE`, the deployment's paths and port, and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(ENV_TEMPLATE)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API_AUTH__JWT_SECRET": jwt_secret,
            "AIRFLOW__LOGGING__LOGGING_LEVEL": logging_level,
            **extra,
        }
    )
    return env


class Deployment:
    """The Airflow processes of one test, with their logs, started and stopped by it."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.env = env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.db = home / "airflow.db"
        diagnosis.watch(home, self.query)  # a failing test prints what this Airflow did

    def diagnose(self) -> str:
        """Failing tasks' states and last log lines, and the components' error lines."""
        return diagnosis.diagnose(self.home, self.query)

    def cli(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def start(self, name: str, *args: str) -> None:
        log = (self.home / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            [AIRFLOW, *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: children die with it
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.procs):
            proc = self.procs[name]
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            self.procs.pop(name)
        diagnosis.unwatch(self.home)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db, timeout=30) as conn:
            return list(conn.execute(sql, params))

    def states(self, dag_id: str, task_id: str) -> dict[int, str | None]:
        """State of each mapped task instance of ``dag_id.task_id``, by map index."""
        rows = self.query(
            "SELECT map_index, state FROM task_instance WHERE dag_id=? AND task_id=?",
            dag_id,
            task_id,
        )
        return {int(m): s for m, s in rows}

    def logs(self) -> str:
        parts = []
        for path in sorted(self.home.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)


@contextlib.contextmanager
def running_deployment(home: Path, env: dict[str, str], port: int) -> Iterator[Deployment]:
    """Migrate the database, start the four processes; stop them all on the way out."""
    dep = Deployment(home, env)
    dep.cli("db", "migrate", timeout=300)
    try:
        dep.start("api-server", "api-server", "--port", str(port), "--host", "127.0.0.1")
        dep.start("scheduler", "scheduler")
        dep.start("dag-processor", "dag-processor")
        dep.start("triggerer", "triggerer")
        yield dep
    finally:
        dep.stop_all()


def wait_for(predicate: Any, timeout: float, what: str, dep: Deployment) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with the logs on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}\n{dep.diagnose()}\n{dep.logs()}")
