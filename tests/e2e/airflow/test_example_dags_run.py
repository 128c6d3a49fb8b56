"""The family's example DAGs run for real: ``airflow dags test`` against the simulator.

Each DAG runs in a subprocess with a temporary ``AIRFLOW_HOME`` (a real SQLite metadata
DB, migrated once) and the connection in ``AIRFLOW_CONN_WAVESPEED_DEFAULT``, as a user
would run it; deferred tasks run their triggers in-process. Every video is decoded with
PyAV, and the simulator's counters say what was uploaded, submitted and charged:

* ``seedance_character_product_line``: the character is uploaded once for the whole run,
  the batch is quoted and allocated under the run cap, one text-to-video per product,
  and the money charged stays within the cap;
* ``seedance_image_then_extend``: each extend takes its upstream image-to-video task's
  XCom video; the extended file is the clip plus the new seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.timeout(900)]

airflow = pytest.importorskip("airflow")

from seedance_simulator import Simulator  # noqa: E402
from tests.support.media import probe_mp4, save_png  # noqa: E402
from tests.support.paths import REPO_ROOT as ROOT  # noqa: E402

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
API_KEY = "example-dags-secret-key-3131"
EXAMPLES = ROOT / "airflow_provider_seedance" / "example_dags"
RUN_CAP = 5.0


class DagsTest:
    """A temporary AIRFLOW_HOME on the example DAGs, pointed at one simulator."""

    def __init__(self, home: Path, sim: Simulator) -> None:
        self.home, self.sim = home, sim
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        self.env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLES),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                "AIRFLOW_CONN_WAVESPEED_DEFAULT": json.dumps(
                    {"conn_type": "wavespeed", "password": API_KEY, "host": sim.base_url}
                ),
                "AIRFLOW_VAR_SEEDANCE_RUN_CAP_USD": str(RUN_CAP),
                "SEEDANCE_POLL_INTERVAL": "0.5",
                "PYTHONPATH": str(ROOT),
                "NO_PROXY": "127.0.0.1,localhost",
            }
        )

    def airflow(self, *args: str, timeout: float = 400) -> str:
        result = subprocess.run(
            [AIRFLOW, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.home,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-5000:]
        return output

    def dags_test(self, dag_id: str) -> str:
        when = datetime.now(UTC).replace(microsecond=0).isoformat()
        return self.airflow("dags", "test", dag_id, when)


@pytest.fixture(scope="module")
def af(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsTest]:
    home = tmp_path_factory.mktemp("example-dags-home")
    with Simulator(api_key=API_KEY, generation_time=1.0, fast=True) as sim:
        runner = DagsTest(home, sim)
        runner.airflow("db", "migrate")
        yield runner


def test_the_product_line_uploads_its_character_once_and_stays_within_the_run_cap(
    af: DagsTest, tmp_path: Path
) -> None:
    character = save_png(tmp_path / "mascot.png", (96, 128), (240, 180, 20))
    line = [
        {"prompt": "@Image1 unboxes the backpack at dawn"},
        {"prompt": "@Image1 pours coffee by the fire"},
        {"prompt": "@Image1 laces up the boots in the rain"},
    ]
    (tmp_path / "line.json").write_text(json.dumps(line))
    out = tmp_path / "out"
    af.env.update(
        {
            "SEEDANCE_CHARACTER": json.dumps([str(character)]),
            "SEEDANCE_PRODUCT_LINE": str(tmp_path / "line.json"),
            "SEEDANCE_OUTPUT_URI": out.as_uri(),
        }
    )
    af.sim.reset_stats()
    charged_before = af.sim.stats()["charged_usd"]
    log = af.dags_test("seedance_character_product_line")
    videos = sorted(out.rglob("*.mp4"))
    assert len(videos) == len(line), log[-4000:]
    for video in videos:
        assert probe_mp4(video)["frames"] > 0
    stats = af.sim.stats()
    assert stats["uploads"] == 1, "the character is uploaded once for the whole run"
    assert stats["submissions"] == len(line)
    assert 0 < stats["charged_usd"] - charged_before <= RUN_CAP
    assert "Batch total" in log and "run cap $5.0000" in log


def test_each_extend_continues_its_upstream_image_to_video_clip(
    af: DagsTest, tmp_path: Path
) -> None:
    products = []
    for name, colour in (("lamp", (250, 200, 90)), ("kettle", (60, 60, 200))):
        image = save_png(tmp_path / f"{name}.png", (128, 96), colour)
        products.append({"image": str(image), "prompt": f"the {name} on a shelf, slow push-in"})
    (tmp_path / "products.json").write_text(json.dumps(products))
    out = tmp_path / "out"
    af.env.update(
        {"SEEDANCE_PRODUCTS": str(tmp_path / "products.json"), "SEEDANCE_OUTPUT_URI": out.as_uri()}
    )
    af.sim.reset_stats()
    log = af.dags_test("seedance_image_then_extend")
    animated = sorted(out.rglob("animated/*.mp4"))
    extended = sorted(out.rglob("extended/*.mp4"))
    assert len(animated) == len(extended) == len(products), log[-4000:]
    clip_seconds = [probe_mp4(v)["duration"] for v in animated]
    for video in extended:
        info = probe_mp4(video)
        assert info["frames"] > 0
        assert info["duration"] >= min(clip_seconds) + 3.5  # the clip, then 4 new seconds
    stats = af.sim.stats()
    assert stats["submissions"] == 2 * len(products)
    assert stats["uploads"] == 2 * len(products)  # each image, then each local clip


@pytest.mark.skipif(
    tuple(int(p) for p in airflow.__version__.split(".")[:2]) >= (3, 1),
    reason="Airflow 3.1+ asks a person: tests/e2e/airflow/test_story_ad_e2e.py answers it",
)
def test_the_story_ad_renders_its_draft_and_skips_the_final_without_approval_on_airflow_2(
    af: DagsTest, tmp_path: Path
) -> None:
    import av

    out = tmp_path / "out"
    af.env.update({"SEEDANCE_OUTPUT_URI": out.as_uri()})
    af.env.pop("SEEDANCE_STORY_BOARD", None)  # the shipped four-shot board
    af.sim.reset_stats()
    log = af.dags_test("seedance_story_ad")
    films = sorted(out.rglob("draft/*.mp4"))
    assert len(films) == 1, log[-4000:]
    with av.open(str(films[0])) as container:
        assert float(container.duration) / 1e6 == pytest.approx(17, abs=0.35)
        assert sum(1 for _ in container.decode(video=0)) > 0
    assert not list(out.rglob("final/*"))
    assert af.sim.stats()["submissions"] == 4  # the draft's shots; the final is never sent
    assert "the final needs a person's approval, which needs Airflow 3.1+" in log
