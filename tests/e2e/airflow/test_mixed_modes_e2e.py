"""End to end: one DAG mixes every mode, under a run cap, in a real Airflow 3 deployment.

The deployment (``api-server``, ``scheduler`` with LocalExecutor and parallelism 4,
``dag-processor``, ``triggerer``; loopback, SQLite) is ``tests/support/airflow_deployment.py``.
The DAG:

* ``quote_shots`` prices 8 text-to-video shots (one character reference each) under a
  run cap equal to their exact total, and allocates each its own quote;
* ``shot`` is mapped over the allocations: 8 generations that run 4 at a time on
  separate worker processes, each spending only its allocation, each asset event
  carrying its cost;
* ``animate`` (image-to-video) -> ``extend`` (its XCom video) -> ``edit`` (the extended
  video, a reference image): each task takes its input from the one before.

Checks: every task succeeds, every video decodes (the extended one is longer than the
clip), the simulator saw exactly one submission per task, the shots were charged no more
than the cap, and each task's log shows its submit once, with the quoted price.
"""

from __future__ import annotations

import json
import re
import sqlite3
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]

airflow = pytest.importorskip("airflow")
if int(airflow.__version__.split(".")[0]) < 3:
    pytest.skip("the end-to-end deployment test targets Airflow 3", allow_module_level=True)

from seedance_simulator import Simulator  # noqa: E402
from shared_client import model_spec  # noqa: E402
from tests.support.airflow import connection_env  # noqa: E402
from tests.support.airflow_deployment import (  # noqa: E402
    Deployment,
    deployment_env,
    running_deployment,
    wait_for,
)
from tests.support.media import probe_mp4, save_png  # noqa: E402
from tests.support.net import free_port  # noqa: E402

API_KEY = "e2e-mixed-secret-key-2468"
DAG_ID = "seedance_mixed_modes"
SHOTS = 8
MINI_T2V = "bytedance/seedance-2.0-mini/text-to-video"
SHOT_PRICE = model_spec(MINI_T2V).price("480p", 4)  # type: ignore[union-attr]
RUN_CAP = float(Decimal(repr(SHOT_PRICE)) * SHOTS)  # the tightest cap that fits them all
TASKS = ("quote_shots", "shot", "animate", "extend", "edit")

DAG_SOURCE = textwrap.dedent(
    """
    import json, os
    from datetime import datetime, timedelta
    from airflow.providers.common.compat.sdk import DAG, Asset
    from airflow_provider_seedance.operators.seedance import (
        SeedanceImageToVideoOperator, SeedanceQuoteOperator, SeedanceTextToVideoOperator,
        SeedanceVideoEditOperator, SeedanceVideoExtendOperator,
    )

    E = os.environ
    OUT = E["SEEDANCE_E2E_OUT"]
    COMMON = {"model": E["SEEDANCE_E2E_MODEL"], "resolution": "480p", "duration": 4}
    WAIT = {"poll_interval": 1.0, "timeout": 600, "retries": 2,
            "retry_delay": timedelta(seconds=2)}

    with DAG("seedance_mixed_modes", schedule=None, start_date=datetime(2026, 1, 1),
             catchup=False):
        quote = SeedanceQuoteOperator(
            task_id="quote_shots", mode="text-to-video",
            batch=json.loads(open(E["SEEDANCE_E2E_SHOTS"]).read()),
            defaults=COMMON, max_total_usd=E["SEEDANCE_E2E_CAP"],
        )
        SeedanceTextToVideoOperator.partial(
            task_id="shot", output_path=OUT + "/shot/{{ ti.map_index }}", **COMMON, **WAIT,
            outlets=[Asset("seedance://e2e/shots")],
        ).expand_kwargs(quote.output)
        animate = SeedanceImageToVideoOperator(
            task_id="animate", image=E["SEEDANCE_E2E_IMAGE"], prompt="the lamp glows, push-in",
            duration="{{ params.seconds }}", params={"seconds": 4}, max_cost_usd=1.0,
            output_path=OUT + "/animate", **WAIT,
        )
        extend = SeedanceVideoExtendOperator(
            task_id="extend", video=animate.output, prompt="the camera pulls back",
            duration=4, model="bytedance/seedance-2.0-mini/video-extend", max_cost_usd=1.0,
            output_path=OUT + "/extend", **WAIT,
        )
        SeedanceVideoEditOperator(
            task_id="edit", video=extend.output, prompt="black and white, @Image1 waves",
            reference_images=[E["SEEDANCE_E2E_CHARACTER"]], duration=5, max_cost_usd=2.0,
            output_path=OUT + "/edit", **WAIT,
        )
    """
)


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    with Simulator(api_key=API_KEY, generation_time=3.0, fast=True) as sim:
        yield sim


@pytest.fixture
def deployment(tmp_path: Path, simulator: Simulator) -> Iterator[Deployment]:
    home = tmp_path / "airflow"
    (home / "dags").mkdir(parents=True)
    (home / "dags" / "seedance_mixed_modes.py").write_text(DAG_SOURCE)
    character = save_png(tmp_path / "character.png", (64, 96), (240, 180, 20))
    shots = [
        {"prompt": f"@Image1 in shot {i}, a slow pan", "reference_images": [str(character)]}
        for i in range(SHOTS)
    ]
    (tmp_path / "shots.json").write_text(json.dumps(shots))
    port = free_port()
    env = deployment_env(
        home,
        port,
        {
            **connection_env("wavespeed_default", password=API_KEY, host=simulator.base_url),
            "SEEDANCE_E2E_OUT": str(tmp_path / "out"),
            "SEEDANCE_E2E_SHOTS": str(tmp_path / "shots.json"),
            "SEEDANCE_E2E_MODEL": MINI_T2V,
            "SEEDANCE_E2E_CAP": repr(RUN_CAP),
            "SEEDANCE_E2E_IMAGE": str(save_png(tmp_path / "lamp.png", (128, 96), (250, 200, 90))),
            "SEEDANCE_E2E_CHARACTER": str(character),
        },
        jwt_secret="e2e-mixed-jwt-secret-not-for-production",
    )
    with running_deployment(home, env, port) as dep:
        yield dep


def _states(dep: Deployment) -> dict[tuple[str, int], str | None]:
    rows = dep.query("SELECT task_id, map_index, state FROM task_instance WHERE dag_id=?", DAG_ID)
    return {(t, int(m)): s for t, m, s in rows}


def _task_logs(home: Path) -> dict[tuple[str, int], str]:
    logs: dict[tuple[str, int], str] = {}
    for path in (home / "logs").rglob("attempt=*.log"):
        if not re.fullmatch(r"attempt=\d+\.log", path.name):
            continue  # trigger logs sit next to them
        parts = dict(p.split("=", 1) for p in path.parts if "=" in p)
        if parts.get("dag_id") == DAG_ID:
            key = (parts["task_id"], int(parts.get("map_index", "-1")))
            logs[key] = logs.get(key, "") + path.read_text(errors="replace")
    return logs


def test_one_dag_mixes_every_mode_under_a_run_cap_and_pays_once_per_task(
    deployment: Deployment, simulator: Simulator, tmp_path: Path
) -> None:
    dep = deployment

    def dag_parsed() -> bool:
        try:
            return bool(dep.query("SELECT 1 FROM dag WHERE dag_id=?", DAG_ID))
        except sqlite3.OperationalError:
            return False

    wait_for(dag_parsed, 120, "the dag-processor to parse the DAG", dep)
    charged_before = simulator.stats()["charged_usd"]
    dep.cli("dags", "trigger", DAG_ID)

    def all_done() -> bool:
        states = _states(dep)
        failed = {k: s for k, s in states.items() if s in ("failed", "upstream_failed")}
        assert not failed, f"tasks failed: {failed}\n{dep.logs()}"
        return len(states) == SHOTS + 4 and all(s == "success" for s in states.values())

    wait_for(all_done, 300, "every task of the mixed DAG to succeed", dep)

    out = tmp_path / "out"
    shots = sorted((out / "shot").rglob("*.mp4"))
    assert len(shots) == SHOTS
    for video in [*shots, *(out / "animate").glob("*.mp4"), *(out / "edit").glob("*.mp4")]:
        assert probe_mp4(video)["frames"] > 0
    (clip,) = (out / "animate").glob("*.mp4")
    (extended,) = (out / "extend").glob("*.mp4")
    assert probe_mp4(extended)["duration"] >= probe_mp4(clip)["duration"] + 3.5

    stats = simulator.stats()
    generating = SHOTS + 3
    assert stats["submissions"] == generating, stats
    assert sorted(stats["submissions_by_fingerprint"].values()) == [1] * generating
    shots_charged = stats["by_model"][MINI_T2V]["completed"] * SHOT_PRICE
    assert stats["by_model"][MINI_T2V]["submitted"] == SHOTS
    assert shots_charged <= RUN_CAP + 1e-9
    assert stats["charged_usd"] - charged_before > shots_charged  # plus the chain's three

    # Each shot resumed after deferring in a new operator: its cost came back from XCom.
    # Asset events are at least once: a try that dies after its resume (seen under CI load)
    # is retried, collects the same completed prediction without paying, and emits again.
    # One prediction per shot, each with its cost; duplicates only repeat a prediction.
    extras = [json.loads(e) for (e,) in dep.query("SELECT extra FROM asset_event")]
    by_prediction = {e["prediction_id"]: e for e in extras}
    assert len(by_prediction) == SHOTS, extras
    assert all(e["cost_usd"] == SHOT_PRICE and e["cost_source"] == "api" for e in extras)
    assert sum(e["cost_usd"] for e in by_prediction.values()) <= RUN_CAP + 1e-9

    logs = _task_logs(dep.home)
    spending = [k for k in logs if k[0] != "quote_shots"]
    assert len(spending) == generating
    for key in spending:
        own = logs[key].count("Submitted prediction")
        assert own == 1 and "submitted prediction" not in logs[key], (key, logs[key][-3000:])
        assert re.search(r"Submitted prediction \w+ \(.+\), quoted \$\d+\.\d{4} USD", logs[key])
    assert "run cap $" in logs[("quote_shots", -1)]
