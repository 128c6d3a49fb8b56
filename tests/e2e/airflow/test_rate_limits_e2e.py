"""End to end at the account's limits: a real Airflow 3 deployment, a Bronze-like account.

The simulator runs 2 tasks at once and accepts 1 video per (scaled, 2 s) minute; the
account's pool is created by ``python -m airflow_provider_seedance.pools`` from the
connection's ``account_level`` (Bronze: 2 slots, deferred tasks counted). Six mapped
generations with ``rate_limit_worker_wait=0`` meet the per-minute limit at once: every
429 defers the task to ``SeedanceRateLimitTrigger`` in the real triggerer and the task
resubmits on resume. Pass: 6/6 success, 6 videos decoded, exactly one submission per
body, 429s absorbed, and WaveSpeed's queue stays empty (the pool holds the rest back).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

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

API_KEY = "e2e-limits-secret-key-9191"
DAG_ID = "seedance_limits_e2e"
TASK_ID = "generate"
N_TASKS = 6

DAG_SOURCE = textwrap.dedent(
    """
    import json, os
    from datetime import datetime, timedelta
    from airflow.providers.common.compat.sdk import DAG
    from airflow_provider_seedance.operators.seedance import SeedanceImageToVideoOperator
    from airflow_provider_seedance.pools import seedance_pool_name

    with DAG("seedance_limits_e2e", schedule=None, start_date=datetime(2026, 1, 1)):
        SeedanceImageToVideoOperator.partial(
            task_id="generate",
            pool=seedance_pool_name("wavespeed_default"),
            poll_interval=1.0,
            timeout=600,
            rate_limit_worker_wait=0,
            output_path=os.environ["SEEDANCE_E2E_OUT"] + "/{{ ti.map_index }}",
            retries=1,
            retry_delay=timedelta(seconds=2),
        ).expand_kwargs(json.loads(open(os.environ["SEEDANCE_E2E_PRODUCTS"]).read()))
    """
)


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    with Simulator(
        api_key=API_KEY,
        generation_time=1.5,
        fast=True,
        account_level="bronze",
        videos_per_minute=1,
        time_scale=30,
    ) as sim:
        yield sim


@pytest.fixture
def deployment(tmp_path: Path, simulator: Simulator) -> Iterator[Deployment]:
    home = tmp_path / "airflow"
    (home / "dags").mkdir(parents=True)
    (home / "dags" / "seedance_limits_e2e.py").write_text(DAG_SOURCE)
    products = []
    for i in range(N_TASKS):
        image = save_png(tmp_path / f"p{i}.png", (96, 96), (30 * i, 90, 200 - 20 * i))
        products.append({"image": str(image), "prompt": f"product {i}, slow push-in"})
    (tmp_path / "products.json").write_text(json.dumps(products))
    port = free_port()
    conn = connection_env(
        "wavespeed_default",
        password=API_KEY,
        host=simulator.base_url,
        extra={"account_level": "bronze"},
    )
    env = deployment_env(
        home,
        port,
        {
            **conn,
            "SEEDANCE_E2E_OUT": str(tmp_path / "out"),
            "SEEDANCE_E2E_PRODUCTS": str(tmp_path / "products.json"),
        },
        jwt_secret="e2e-limits-jwt-secret-not-for-production",
    )
    with running_deployment(home, env, port) as dep:
        yield dep


def test_mapped_generations_at_a_bronze_account_s_limits_all_succeed_paying_once(
    deployment: Deployment, simulator: Simulator, tmp_path: Path
) -> None:
    dep = deployment
    # The pool, sized from the connection's level by the provider's own command.
    import subprocess

    made = subprocess.run(
        [sys.executable, "-m", "airflow_provider_seedance.pools", "--airflow",
         str(Path(sys.executable).with_name("airflow"))],
        env=dep.env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-2000:]
    assert "pools set seedance 2 " in made.stdout

    def dag_parsed() -> bool:
        try:
            return bool(dep.query("SELECT 1 FROM dag WHERE dag_id=?", DAG_ID))
        except sqlite3.OperationalError:
            return False

    wait_for(dag_parsed, 120, "the dag-processor to parse the DAG", dep)
    dep.cli("dags", "trigger", DAG_ID)

    triggers: set[str] = set()

    def all_done() -> bool:
        triggers.update(row[0] for row in dep.query("SELECT classpath FROM trigger"))
        states = dep.states(DAG_ID, TASK_ID)
        failed = {m: s for m, s in states.items() if s in ("failed", "upstream_failed")}
        assert not failed, f"tasks failed: {failed}\n{dep.logs()}"
        return len(states) == N_TASKS and all(s == "success" for s in states.values())

    wait_for(all_done, 400, "all mapped tasks to succeed", dep)

    videos = sorted((tmp_path / "out").rglob("*.mp4"))
    assert len(videos) == N_TASKS
    assert all(count_frames(video) > 0 for video in videos)
    stats = simulator.stats()
    limits = stats["limits"]
    print(
        f"429s absorbed: {limits['rate_limited']}, max running at WaveSpeed: "
        f"{limits['max_running']}, max queued there: {limits['max_queued']}, "
        f"triggers seen: {sorted(triggers)}"
    )
    assert stats["submissions"] == N_TASKS
    assert sorted(stats["submissions_by_fingerprint"].values()) == [1] * N_TASKS
    assert limits["rate_limited"] >= 1
    assert any(path.endswith("SeedanceRateLimitTrigger") for path in triggers)
    assert limits["max_running"] <= 2 and limits["max_queued"] == 0  # the pool held back
    for row in dep.query("SELECT kwargs FROM trigger"):
        assert API_KEY not in str(row)
