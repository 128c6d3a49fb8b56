"""Airflow 2.11 with a real metadata DB: the Variable ledger works and a killed try pays once.

On Airflow < 3.3 a task keeps its submit intent and prediction id in an Airflow Variable.
This proves it against a real (SQLite) metadata DB, as a 2.11 user runs it:

* ``airflow dags test seedance_daily_production`` against the simulator: every task
  succeeds, no "Could not read Variable" warning (the 2.x ``Variable.get`` signature), every
  video decodes, and each task instance keeps one Variable naming its completed
  prediction (completed is collected: a later try of it pays nothing);
* one try of the operator killed with SIGKILL before the POST, after the answer, or after
  the Variable write, then the next try in a new process: exactly one paid generation.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.timeout(600)]

airflow = pytest.importorskip("airflow")
if int(airflow.__version__.split(".")[0]) != 2:
    pytest.skip("the Variable-ledger deployment test targets Airflow 2.11", allow_module_level=True)

from PIL import Image  # noqa: E402

from seedance_simulator import Simulator  # noqa: E402
from shared_client import SeedanceClient, SubmitIntent  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
SCENARIO = Path(__file__).with_name("variable_ledger_scenario.py")
API_KEY = "af2-ledger-secret-key-4242"
VARIABLE = "seedance_prediction__v2_dag__manual__v2__generate__-1"


class Airflow2:
    def __init__(self, home: Path, sim: Simulator) -> None:
        self.home, self.sim = home, sim
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        self.env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "airflow_provider_seedance/example_dags"),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                "AIRFLOW_CONN_WAVESPEED_DEFAULT": json.dumps(
                    {"conn_type": "wavespeed", "password": API_KEY, "host": sim.base_url}
                ),
                "PYTHONPATH": str(ROOT),
                "NO_PROXY": "127.0.0.1,localhost",
            }
        )

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), env=self.env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
        )

    def airflow(self, *args: str, timeout: float = 300) -> str:
        result = self.run(AIRFLOW, *args, timeout=timeout)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout + result.stderr

    def variable(self, key: str) -> str | None:
        result = self.run(AIRFLOW, "variables", "get", key)
        return result.stdout.strip() if result.returncode == 0 else None


@pytest.fixture(scope="module")
def af2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airflow2]:
    home = tmp_path_factory.mktemp("airflow2-home")
    with Simulator(api_key=API_KEY, generation_time=1.0, fast=True) as sim:
        deployment = Airflow2(home, sim)
        deployment.airflow("db", "migrate")
        yield deployment


def test_dags_test_on_2_11_reads_and_keeps_the_variable_ledger(
    af2: Airflow2, tmp_path: Path
) -> None:
    import av

    products = []
    for name, colour in (("sneaker", (220, 40, 60)), ("bottle", (40, 120, 220))):
        path = tmp_path / f"{name}.png"
        Image.new("RGB", (160, 160), colour).save(path)
        products.append({"image": str(path), "prompt": f"{name} on a pedestal, slow push-in"})
    (tmp_path / "products.json").write_text(json.dumps(products))
    out = tmp_path / "out"
    af2.env.update(
        {
            "SEEDANCE_PRODUCTS": str(tmp_path / "products.json"),
            "SEEDANCE_OUTPUT_URI": out.as_uri(),
            "SEEDANCE_POLL_INTERVAL": "0.5",
        }
    )
    af2.airflow("pools", "set", "seedance", "2", "Seedance")
    af2.sim.reset_stats()
    when = datetime.now(UTC).replace(microsecond=0).isoformat()
    log = af2.airflow("dags", "test", "seedance_daily_production", when, timeout=400)
    assert "Could not read Variable" not in log
    assert "reattach disabled" not in log
    videos = sorted(out.rglob("*.mp4"))
    assert len(videos) == 2, log[-3000:]
    for video in videos:
        with av.open(str(video)) as container:
            assert sum(1 for _ in container.decode(video=0)) > 0
    assert af2.sim.stats()["submissions"] == 2
    listed = af2.airflow("variables", "list", "-o", "json")
    kept = re.findall(r'"(seedance_prediction__seedance_daily_production__[^"]+)"', listed)
    assert len(set(kept)) == 2, listed[-3000:]  # one record per delivered task instance
    for key in set(kept):
        record = SubmitIntent.from_json(af2.variable(key) or "")
        assert record.prediction_id and record.request_key


@pytest.fixture(scope="module")
def image_url(af2: Airflow2) -> str:
    import io

    buf = io.BytesIO()
    Image.new("RGB", (96, 96), (30, 140, 90)).save(buf, format="PNG")
    with SeedanceClient(api_key=API_KEY, base_url=af2.sim.base_url) as client:
        return client.upload(buf.getvalue())


def _try(af2: Airflow2, prompt: str, image: str, crash_at: str = "") -> Any:
    return af2.run(
        sys.executable, str(SCENARIO), "--prompt", prompt, "--image", image,
        "--crash-at", crash_at, "--settle-window", "3",
    )  # fmt: skip


def _tasks_for(sim: Simulator, prompt: str) -> list[str]:
    import httpx

    response = httpx.post(
        f"{sim.base_url}/api/v3/predictions",
        json={"page": 1, "page_size": 100},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    return [i["id"] for i in response.json()["data"]["items"] if i["input"]["prompt"] == prompt]


@pytest.mark.parametrize("crash_at", ["before_post", "after_answer", "after_ledger"])
def test_a_killed_try_on_the_variable_ledger_pays_once(
    af2: Airflow2, image_url: str, crash_at: str
) -> None:
    prompt = f"killed at {crash_at} {uuid.uuid4()}"
    af2.sim.set_generation_time(4.0)
    killed = _try(af2, prompt, image_url, crash_at)
    assert killed.returncode == -9, killed.stderr[-3000:]
    record = af2.variable(VARIABLE)
    assert record is not None, "the intent must be in the Variable before the POST"
    intent = SubmitIntent.from_json(record)
    assert (intent.prediction_id is not None) == (crash_at == "after_ledger")
    retry = _try(af2, prompt, image_url)
    assert retry.returncode == 0, retry.stdout[-2000:] + retry.stderr[-3000:]
    result = json.loads(retry.stdout.strip().splitlines()[-1])["result"]
    assert result["status"] == "completed"
    paid = _tasks_for(af2.sim, prompt)
    assert paid == [result["prediction_id"]]  # exactly one generation, and it is ours
    kept = af2.variable(VARIABLE)  # kept after success, so a later try collects it
    assert kept is not None and SubmitIntent.from_json(kept).prediction_id == paid[0]
