"""End to end: a real Airflow 3 deployment runs 10 mapped generations against the simulator.

The deployment (``api-server``, ``scheduler`` with LocalExecutor, ``dag-processor``,
``triggerer``; loopback, SQLite) is ``tests/support/airflow_deployment.py``, shared with the
reliability suite.

Mid-run the triggerer is killed with SIGKILL and started again: its triggers are picked
up by the new triggerer once the dead one's heartbeat is stale, every task still ends in
``success``, and the simulator shows exactly one submission per task.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

airflow = pytest.importorskip("airflow")
if int(airflow.__version__.split(".")[0]) < 3:
    pytest.skip("the end-to-end deployment test targets Airflow 3", allow_module_level=True)

from seedance_simulator import Simulator  # noqa: E402
from tests.support.airflow import connection_env  # noqa: E402
from tests.support.airflow_deployment import (  # noqa: E402
    Deployment,
    deployment_env,
    running_deployment,
    wait_for,
)
from tests.support.media import count_frames, save_png  # noqa: E402
from tests.support.net import free_port  # noqa: E402

API_KEY = "e2e-secret-key-5678"
DAG_ID = "seedance_e2e"
TASK_ID = "generate"
N_TASKS = 10

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
        image = save_png(tmp_path / f"product-{i}.png", (128, 96), (20 * i, 80, 200 - 10 * i))
        products.append({"image": str(image), "prompt": f"product {i} turns on a pedestal"})
    (tmp_path / "products.json").write_text(json.dumps(products))
    port = free_port()
    env = deployment_env(
        home,
        port,
        {
            **connection_env("wavespeed_default", password=API_KEY, host=simulator.base_url),
            "SEEDANCE_E2E_OUT": str(out),
            "SEEDANCE_E2E_PRODUCTS": str(tmp_path / "products.json"),
        },
        jwt_secret="e2e-jwt-secret-not-for-production",
    )
    with running_deployment(home, env, port) as dep:
        yield dep


def test_mapped_generations_defer_survive_triggerer_kill_and_pay_once(
    deployment: Deployment, simulator: Simulator, tmp_path: Path
) -> None:
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
        states = dep.states(DAG_ID, TASK_ID)
        seen_deferred.update(m for m, s in states.items() if s == "deferred")
        return len(seen_deferred) >= 3

    wait_for(some_deferred, 150, "tasks to be deferred", dep)
    # Live triggers hold ids and the connection id only, never the key.
    kwargs = [row[0] for row in dep.query("SELECT kwargs FROM trigger")]
    assert kwargs and all(API_KEY not in str(k) for k in kwargs)
    in_flight_at_kill = {m for m, s in dep.states(DAG_ID, TASK_ID).items() if s == "deferred"}

    # Kill the triggerer while generations are in flight, then start a new one.
    dep.kill("triggerer", signal.SIGKILL)
    time.sleep(2)
    dep.start("triggerer-2", "triggerer")

    def all_done() -> bool:
        states = dep.states(DAG_ID, TASK_ID)
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
        assert count_frames(video) > 0

    stats = simulator.stats()
    assert stats["submissions"] == N_TASKS, stats
    assert sorted(stats["submissions_by_fingerprint"].values()) == [1] * N_TASKS
    # The key never reached the metadata database (trigger kwargs, XCom, rendered fields).
    for table in ("xcom", "rendered_task_instance_fields"):
        for row in dep.query(f"SELECT * FROM {table}"):
            assert API_KEY not in repr(row), table
