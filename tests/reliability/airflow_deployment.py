"""A real Airflow 3 deployment for the reliability tests, built on the e2e suite's helper.

The ``Deployment`` class (processes, logs, SQLite queries) is imported from
``tests/e2e/airflow/test_airflow_e2e.py`` rather than copied; this module adds what the
reliability tests need on top: several DAGs in one deployment, finding a task's worker
process to ``kill -9`` it, decrypting trigger kwargs, and reading task logs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import psutil

_E2E = Path(__file__).resolve().parents[1] / "e2e" / "airflow" / "test_airflow_e2e.py"


def load_e2e_helpers() -> Any:
    """The e2e module (Deployment, free_port, wait_for), loaded by path."""
    spec = importlib.util.spec_from_file_location("seedance_e2e_airflow_helpers", _E2E)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the Airflow e2e helpers from {_E2E}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


DAG_SOURCE = textwrap.dedent(
    """
    import json, os
    from datetime import datetime, timedelta
    from airflow.providers.common.compat.sdk import DAG
    from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator

    OUT = os.environ["SEEDANCE_REL_OUT"]
    IMAGE = os.environ["SEEDANCE_REL_IMAGE"]
    START = datetime(2026, 1, 1)

    with DAG("rel_worker_kill", schedule=None, start_date=START, catchup=False):
        SeedanceImageToVideoOperator(
            task_id="generate", prompt="worker kill: slow orbit", image=IMAGE,
            deferrable=False, poll_interval=0.5, timeout=300,
            output_path=OUT + "/worker_kill", retries=1, retry_delay=timedelta(seconds=1),
        )

    with DAG("rel_deadline", schedule=None, start_date=START, catchup=False):
        SeedanceImageToVideoOperator(
            task_id="generate", prompt="stuck: never finishes", image=IMAGE,
            poll_interval=1.0, timeout=float(os.environ["SEEDANCE_REL_DEADLINE"]),
            output_path=OUT + "/deadline", retries=0,
        )

    with DAG("rel_chaos", schedule=None, start_date=START, catchup=False):
        SeedanceImageToVideoOperator.partial(
            task_id="generate", poll_interval=1.0, timeout=600,
            output_path=OUT + "/chaos/{{ ti.map_index }}",
            retries=2, retry_delay=timedelta(seconds=1),
        ).expand_kwargs(json.loads(open(os.environ["SEEDANCE_REL_PRODUCTS"]).read()))
    """
)

ENV_TEMPLATE = {
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    "AIRFLOW__CORE__PARALLELISM": "4",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
    "AIRFLOW__API__HOST": "127.0.0.1",
    "AIRFLOW__API__WORKERS": "1",
    "AIRFLOW__API_AUTH__JWT_SECRET": "reliability-jwt-secret-not-for-production",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
    "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
    "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "6",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "DEBUG",
    "NO_PROXY": "127.0.0.1,localhost",
}


def deployment_env(home: Path, port: int, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(ENV_TEMPLATE)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__API__PORT": str(port),
            **extra,
        }
    )
    return env


def kill_task_process(ti_id: str, started_pids: list[int]) -> int:
    """SIGKILL the process running task instance ``ti_id``'s code; returns its pid.

    Only descendants of processes this test started are considered. Airflow's task
    runner titles itself ``airflow worker -- <ti id>``; a forked process keeps its
    parent's title until it sets its own, so when several match, the deepest one (the
    one with no matching descendant) is the task runner itself.
    """
    wanted = ti_id.replace("-", "").lower()
    matches: list[psutil.Process] = []
    for root in started_pids:
        try:
            children = psutil.Process(root).children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        for proc in children:
            try:
                title = " ".join(proc.cmdline())
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            # SQLite keeps the UUID as 32 hex digits; the title shows it with dashes
            if title.startswith("airflow worker --") and wanted in title.replace("-", ""):
                matches.append(proc)
    pids = {p.pid for p in matches}
    leaves = [p for p in matches if not any(c.pid in pids for c in _children(p))]
    if not leaves:
        raise LookupError(f"no running task process for task instance {ti_id}")
    os.kill(leaves[0].pid, signal.SIGKILL)
    return leaves[0].pid


def _children(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def decrypted_trigger_kwargs(env: dict[str, str]) -> list[str]:
    """Every live trigger's kwargs, decrypted the way the triggerer reads them.

    Airflow 3 stores trigger kwargs encrypted with the Fernet key, so searching the raw
    column would prove nothing; this reads them back through Airflow's own model.
    """
    code = textwrap.dedent(
        """
        import json
        from airflow.models.trigger import Trigger
        from airflow.utils.session import create_session
        with create_session() as session:
            for trigger in session.query(Trigger).all():
                print(json.dumps({"classpath": trigger.classpath, "kwargs": trigger.kwargs},
                                 default=str))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return [line for line in result.stdout.splitlines() if line.startswith("{")]


def task_logs(home: Path, dag_id: str) -> dict[tuple[int, int], str]:
    """Task log text per (map_index, attempt), from Airflow's log folder."""
    logs: dict[tuple[int, int], str] = {}
    for path in (home / "logs").rglob("attempt=*.log"):
        if not re.fullmatch(r"attempt=\d+\.log", path.name):
            continue  # trigger logs sit next to them as attempt=N.log.trigger.M.log
        parts = {p.split("=", 1)[0]: p.split("=", 1)[1] for p in path.parts if "=" in p}
        if parts.get("dag_id") != dag_id:
            continue
        map_index = int(parts.get("map_index", "-1"))
        attempt = int(parts["attempt"].removesuffix(".log"))
        logs[(map_index, attempt)] = path.read_text(errors="replace")
    return logs


def products(folder: Path, count: int, image: Path) -> Path:
    """The mapped DAG's inputs: one unique prompt per task (it identifies the request)."""
    path = folder / "products.json"
    path.write_text(
        json.dumps(
            [{"prompt": f"chaos task {i}: product turns on a pedestal", "image": str(image)}
             for i in range(count)]
        )
    )  # fmt: skip
    return path
