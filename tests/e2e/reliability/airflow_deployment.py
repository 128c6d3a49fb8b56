"""A real Airflow 3 deployment for the reliability tests, built on ``tests/support``.

The deployment itself (``Deployment``, its environment, starting and stopping the four
processes) is ``tests/support/airflow_deployment.py``, shared with the e2e suite; this
module adds what the reliability tests need on top: several DAGs in one deployment,
finding a task's worker process to ``kill -9`` it, decrypting trigger kwargs, and reading
task logs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil

from tests.support.airflow_deployment import deployment_env as base_deployment_env

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
            settle_window=float(os.environ.get("SEEDANCE_REL_SETTLE_WINDOW", "120")),
        ).expand_kwargs(json.loads(open(os.environ["SEEDANCE_REL_PRODUCTS"]).read()))
    """
)


def deployment_env(home: Path, port: int, extra: dict[str, str]) -> dict[str, str]:
    """The shared deployment environment, with DEBUG logs (the tests read task logs)."""
    return base_deployment_env(
        home,
        port,
        extra,
        jwt_secret="reliability-jwt-secret-not-for-production",
        logging_level="DEBUG",
    )


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
