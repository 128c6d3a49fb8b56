"""A throwaway Airflow 3 installation for the Airflow benchmarks: home, DB, CLI, processes.

Why: the triggerer-density and worker-slot benchmarks need a real metadata database
and real Airflow processes (not mocks), started on loopback in a temporary
``AIRFLOW_HOME`` with SQLite and stopped, with their whole process group, at the end.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import harness

logger = logging.getLogger(__name__)

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
#: SQLite waits this long for a lock instead of 5 s: on a loaded 2-core machine a
#: triggerer's heartbeat must not die ("database is locked") while another process of the
#: same benchmark writes its batch of trigger rows. Airflow imports it by dotted path.
SQLITE_CONNECT_ARGS = {"timeout": 120}


class AirflowHome:
    """One temporary Airflow installation; ``cli`` runs commands, ``start`` daemons."""

    def __init__(self, home: Path, extra_env: dict[str, str] | None = None) -> None:
        self.home = home
        self.dags = home / "dags"
        self.dags.mkdir(parents=True, exist_ok=True)
        self.db = home / "airflow.db"
        env = {k: v for k, v in harness.child_env().items() if not k.startswith("AIRFLOW")}
        env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db}",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "airflow_env.SQLITE_CONNECT_ARGS",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC": (
                    "airflow_env.SQLITE_CONNECT_ARGS"
                ),
            }
        )
        env.update(extra_env or {})
        self.env = env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def set_connection(self, base_url: str) -> None:
        self.env["AIRFLOW_CONN_WAVESPEED_DEFAULT"] = json.dumps(
            {"conn_type": "wavespeed", "password": harness.BENCH_API_KEY, "host": base_url}
        )

    def cli(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [AIRFLOW, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def python(self, script: str | Path, *args: str, timeout: float = 300) -> dict[str, Any]:
        """Run a Python child with this installation's environment (last line: JSON)."""
        return harness.run_child(script, list(args), timeout=timeout, env=self.env)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.home / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [AIRFLOW, *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its children
        )
        self.procs[name] = proc
        return proc

    def stop_all(self) -> None:
        for name, proc in list(self.procs.items()):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            self.procs.pop(name)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.db, timeout=60)) as conn:
            return list(conn.execute(sql, params))

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.home / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def find_event(value: Any) -> dict[str, Any] | None:
    """The trigger's event payload inside a stored ``next_kwargs`` (serde-wrapped or not)."""
    if isinstance(value, dict):
        if "status" in value and "prediction" in value:
            return value
        for item in value.values():
            found = find_event(item)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = find_event(item)
            if found is not None:
                return found
    return None


def tree_usage(pid: int) -> dict[str, float]:
    """RSS (KiB, summed over the tree) and user+system CPU seconds of a process tree."""
    import psutil

    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    rss = cpu = 0.0
    per_process: dict[str, dict[str, float]] = {}
    for proc in procs:
        try:
            kib = harness.proc_status_kib(proc.pid)["VmRSS"]
            times = proc.cpu_times()
            label = f"{proc.pid} {' '.join(proc.cmdline())[:60]}"
        except (psutil.NoSuchProcess, FileNotFoundError, KeyError):
            continue
        rss += kib
        cpu += times.user + times.system
        per_process[label] = {"rss_kib": kib, "cpu_s": times.user + times.system}
    return {"rss_kib": rss, "cpu_s": cpu, "processes": len(procs), "per_process": per_process}


def parse_db_time(text: str) -> float:
    value = datetime.fromisoformat(text.replace(" ", "T"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def completion_wall_time(task: dict[str, Any]) -> float:
    created = datetime.fromisoformat(task["created_at"].replace("Z", "+00:00")).timestamp()
    return created + task["executionTime"] / 1000.0


def wait_until(predicate: Any, timeout: float, step: float = 1.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
