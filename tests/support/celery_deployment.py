"""A real Airflow 3 CeleryExecutor deployment on loopback: two workers, two triggerers.

Processes, each in its own process group (a ``kill -9`` of one takes its children with
it, as a machine or pod loss would): Redis (broker), PostgreSQL (metadata DB and Celery
result backend), ``api-server``, ``scheduler``, ``dag-processor``, ``worker-1``,
``worker-2``, ``triggerer-1``, ``triggerer-2``.

The timeouts that decide how fast Airflow notices a dead component are lowered so a
test sees the hand-over within minutes instead of the production defaults (300 s for a
task instance's heartbeat, 30 s for a triggerer's):

* ``[triggerer] triggerer_health_check_threshold``: a triggerer whose heartbeat is older
  than this is dead, and the others take its triggers;
* ``[scheduler] task_instance_heartbeat_timeout``: a running task instance that stops
  heartbeating (its worker died) is failed and retried;
* ``[scheduler] task_queued_timeout``: a task whose Celery message died with a worker
  before it started is queued again.

Shared by ``tests/e2e/distributed`` and ``benchmarks/bench_distributed.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support import diagnosis
from tests.support.airflow_deployment import Deployment, deployment_env
from tests.support.services import Postgres, postgres_server, redis_server

#: How the deployment notices dead components (see the module docstring).
FAST_FAILOVER = {
    "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
    "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "10",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_SEC": "2",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
    "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "120",
    "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "10",
}


class CeleryDeployment(Deployment):
    """:class:`Deployment` whose metadata database is PostgreSQL."""

    def __init__(self, home: Path, env: dict[str, str], pg: Postgres) -> None:
        super().__init__(home, env)
        self.pg = pg

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Run ``sql`` (``?`` placeholders, as with SQLite) against the metadata DB."""
        import psycopg2

        with contextlib.closing(psycopg2.connect(self.pg.dsn())) as conn, conn.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), params)
            rows = list(cur.fetchall()) if cur.description else []
            conn.commit()
            return rows

    def triggerer_job_ids(self) -> list[int]:
        """Ids of the triggerer jobs started so far, oldest first."""
        rows = self.query("SELECT id FROM job WHERE job_type='TriggererJob' ORDER BY id")
        return [int(r[0]) for r in rows]

    def pid(self, name: str) -> int:
        return self.procs[name].pid

    def stop_all(self) -> None:
        """SIGTERM every component at once, SIGKILL what is left after 10 s: a Celery
        worker's warm shutdown would otherwise wait for its tasks, one worker at a time."""
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group: task processes too
            proc.wait(timeout=10)
        self.procs.clear()
        diagnosis.unwatch(self.home)


def celery_env(
    home: Path,
    port: int,
    pg: Postgres,
    broker_url: str,
    extra: dict[str, str],
    *,
    worker_concurrency: int,
    parallelism: int,
) -> dict[str, str]:
    """The environment of every process of a Celery deployment."""
    env = deployment_env(home, port, {}, jwt_secret="distributed-e2e-jwt-secret-not-for-prod")
    env.update(FAST_FAILOVER)
    env.update(
        {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(parallelism),
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "1000",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg.url(),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "5",
            "AIRFLOW__CELERY__BROKER_URL": broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + pg.url(),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(worker_concurrency),
            "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
            "AIRFLOW__CELERY__TASK_ACKS_LATE": "True",
            "AIRFLOW__CELERY__SYNC_PARALLELISM": "1",
            "AIRFLOW__CELERY__OPERATION_TIMEOUT": "10",
            "AIRFLOW__TRIGGERER__CAPACITY": "1000",
            # two triggerers split the work instead of the first grabbing all of it
            "AIRFLOW__TRIGGERER__MAX_TRIGGER_TO_SELECT_PER_LOOP": "20",
            **extra,
        }
    )
    return env


@contextlib.contextmanager
def running_celery_deployment(
    root: Path,
    extra: dict[str, str],
    *,
    worker_concurrency: int = 4,
    workers: int = 2,
    triggerers: int = 2,
    parallelism: int | None = None,
) -> Iterator[CeleryDeployment]:
    """Start Redis, PostgreSQL and every Airflow component; stop all of them on the way out.

    The triggerers start one after the other, so ``triggerer_job_ids()[i]`` is
    ``triggerer-{i + 1}``'s job.
    """
    from tests.support.net import free_port

    home = root / "airflow"
    (home / "dags").mkdir(parents=True, exist_ok=True)
    with _sigterm_unwinds(), redis_server(root / "redis") as broker, postgres_server() as pg:
        port = free_port()
        env = celery_env(
            home,
            port,
            pg,
            broker,
            extra,
            worker_concurrency=worker_concurrency,
            parallelism=parallelism or workers * worker_concurrency,
        )
        dep = CeleryDeployment(home, env, pg)
        dep.cli("db", "migrate", timeout=600)
        try:
            dep.start("api-server", "api-server", "--port", str(port), "--host", "127.0.0.1")
            dep.start("scheduler", "scheduler")
            dep.start("dag-processor", "dag-processor")
            for i in range(1, workers + 1):
                dep.start(
                    f"worker-{i}",
                    "celery",
                    "worker",
                    "--celery-hostname",
                    f"worker{i}@%h",
                    "--concurrency",
                    str(worker_concurrency),
                    "--skip-serve-logs",
                    "--without-mingle",
                    "--without-gossip",
                )
            for i in range(1, triggerers + 1):
                dep.start(f"triggerer-{i}", "triggerer", "--skip-serve-logs")
                _wait_rows(dep, i, 120)
            try:
                yield dep
            except BaseException:  # PostgreSQL stops with us: say what the tasks did now
                print(dep.diagnose(), flush=True)
                raise
        finally:
            dep.stop_all()


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """A SIGTERM (CI's timeout, ``kill``) unwinds through the ``finally`` blocks, so the
    servers and Airflow processes, each in its own session, are stopped, not orphaned."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut cleanup
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait_rows(dep: CeleryDeployment, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if len(dep.triggerer_job_ids()) >= count:
                return
        time.sleep(0.5)
    raise RuntimeError(f"triggerer {count} did not register its job\n{dep.logs()}")


def connection_extra(base_url: str, api_key: str) -> dict[str, str]:
    """The ``wavespeed_default`` connection every component (workers, triggerers) needs."""
    return {
        "AIRFLOW_CONN_WAVESPEED_DEFAULT": json.dumps(
            {"conn_type": "wavespeed", "password": api_key, "host": base_url}
        )
    }
