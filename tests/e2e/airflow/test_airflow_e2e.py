"""End to end: a real Airflow 3 deployment runs 10 mapped generations against the simulator.

Processes: ``api-server`` (the Execution API the workers talk to), ``scheduler`` (with
LocalExecutor), ``dag-processor`` and ``triggerer``, all on loopback with SQLite in a
temporary AIRFLOW_HOME. Airflow 3 accepts SQLite with LocalExecutor (the SequentialExecutor
restriction of Airflow 2 is gone); parallelism stays small so SQLite's single writer copes.

Mid-run the triggerer is killed with SIGKILL and started again: its triggers are picked
up by the new triggerer once the dead one's heartbeat is stale, every task still ends in
``success``, and the simulator shows exactly one submission per task.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

airflow = pytest.importorskip("airflow")
if int(airflow.__version__.split(".")[0]) < 3:
    pytest.skip("the end-to-end deployment test targets Airflow 3", allow_module_level=True)

from PIL import Image  # noqa: E402

from seedance_simulator import Simulator  # noqa: E402

API_KEY = "e2e-secret-key-5678"
DAG_ID = "seedance_e2e"
TASK_ID = "generate"
N_TASKS = 10
AIRFLOW = str(Path(sys.executable).with_name("airflow"))

DAG_SOURCE = textwrap.dedent(
    """
    import json, os
    from datetime import datetime, timedelta
    from airflow.providers.common.compat.sdk import DAG
    from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator

    with DAG("seedance_e2e", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
        SeedanceImageToVideoOperator.partial(
            task_id="generate",
            poll_interval=1.0,
            timeout=600,
            output_path=os.environ["SEEDANCE_E2E_OUT"] + "/{{ ti.map_index }}",
            retries=2,
            retry_delay=timedelta(seconds=2),
        ).expand_kwargs(json.loads(open(os.environ["SEEDANCE_E2E_PRODUCTS"]).read()))
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Deployment:
    """The Airflow processes of one test, with their logs, started and stopped by it."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.env = env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.db = home / "airflow.db"

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

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db, timeout=30) as conn:
            return list(conn.execute(sql, params))

    def states(self) -> dict[int, str | None]:
        rows = self.query(
            "SELECT map_index, state FROM task_instance WHERE dag_id=? AND task_id=?",
            DAG_ID,
            TASK_ID,
        )
        return {int(m): s for m, s in rows}

    def logs(self) -> str:
        parts = []
        for path in sorted(self.home.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    with Simulator(api_key=API_KEY, generation_time=6.0, fast=True) as sim:
        yield sim


@pytest.fixture
def deployment(tmp_path: Path, simulator: Simulator) -> Iterator[Deployment]:
    home = tmp_path / "airflow"
    dags = home / "dags"
    out = tmp_path / "out"
    dags.mkdir(parents=True)
    (dags / "seedance_e2e.py").write_text(DAG_SOURCE)
    products = []
    for i in range(N_TASKS):
        image = tmp_path / f"product-{i}.png"
        Image.new("RGB", (128, 96), (20 * i, 80, 200 - 10 * i)).save(image)
        products.append({"image": str(image), "prompt": f"product {i} turns on a pedestal"})
    (tmp_path / "products.json").write_text(json.dumps(products))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": "e2e-jwt-secret-not-for-production",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "6",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW_CONN_WAVESPEED_DEFAULT": json.dumps(
                {"conn_type": "wavespeed", "password": API_KEY, "host": simulator.base_url}
            ),
            "SEEDANCE_E2E_OUT": str(out),
            "SEEDANCE_E2E_PRODUCTS": str(tmp_path / "products.json"),
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
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
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}\n{dep.logs()}")


def test_mapped_generations_defer_survive_triggerer_kill_and_pay_once(
    deployment: Deployment, simulator: Simulator, tmp_path: Path
) -> None:
    import av

    dep = deployment

    def dag_parsed() -> bool:
        try:
            return bool(dep.query("SELECT 1 FROM dag WHERE dag_id=?", DAG_ID))
        except sqlite3.OperationalError:
            return False

    wait_for(dag_parsed, 120, "the dag-processor to parse the DAG", dep)
    dep.cli("dags", "trigger", DAG_ID)

    seen_deferred: set[int] = set()

    def some_deferred() -> bool:
        states = dep.states()
        seen_deferred.update(m for m, s in states.items() if s == "deferred")
        return len(seen_deferred) >= 3

    wait_for(some_deferred, 150, "tasks to be deferred", dep)
    # Live triggers hold ids and the connection id only, never the key.
    kwargs = [row[0] for row in dep.query("SELECT kwargs FROM trigger")]
    assert kwargs and all(API_KEY not in str(k) for k in kwargs)
    in_flight_at_kill = {m for m, s in dep.states().items() if s == "deferred"}

    # Kill the triggerer while generations are in flight, then start a new one.
    dep.kill("triggerer", signal.SIGKILL)
    time.sleep(2)
    dep.start("triggerer-2", "triggerer")

    def all_done() -> bool:
        states = dep.states()
        seen_deferred.update(m for m, s in states.items() if s == "deferred")
        failed = {m: s for m, s in states.items() if s in ("failed", "upstream_failed")}
        assert not failed, f"tasks failed: {failed}\n{dep.logs()}"
        return len(states) == N_TASKS and all(s == "success" for s in states.values())

    wait_for(all_done, 240, "all mapped tasks to succeed", dep)

    assert len(seen_deferred) >= 3, "tasks were never observed in the deferred state"
    print(f"deferred when the triggerer was killed: {sorted(in_flight_at_kill)}")
    videos = sorted((tmp_path / "out").rglob("*.mp4"))
    assert len(videos) == N_TASKS
    for video in videos:
        with av.open(str(video)) as container:
            assert sum(1 for _ in container.decode(video=0)) > 0

    stats = simulator.stats()
    assert stats["submissions"] == N_TASKS, stats
    assert sorted(stats["submissions_by_fingerprint"].values()) == [1] * N_TASKS
    # The key never reached the metadata database (trigger kwargs, XCom, rendered fields).
    for table in ("xcom", "rendered_task_instance_fields"):
        for row in dep.query(f"SELECT * FROM {table}"):
            assert API_KEY not in repr(row), table
