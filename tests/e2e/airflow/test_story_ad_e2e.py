"""``seedance_story_ad`` for real: a draft, a person's answer over the REST API, the final.

``airflow dags test seedance_story_ad`` runs the example DAG (its shipped four-shot board:
cut, continue, extend, cut with an image) against the simulator, with a temporary
``AIRFLOW_HOME`` (real SQLite metadata DB). On Airflow 3.3 the approval task parks in
``awaiting_input``; an ``api-server`` on the same metadata DB answers it through the HITL
REST endpoint (``PATCH .../taskInstances/approve_final/-1/hitlDetails``), exactly what the
UI's buttons do, using :mod:`tests.support.story_approval`.

* Approve: the approval body links the draft film and shows the contact sheet from URLs
  that serve an MP4 and a PNG, and the final's quote with its source; the final film
  decodes with the board's length (5 + 4 + 4 new + 4 s) and one scene cut, where the
  board has its second ``cut`` (the ``continue`` and ``extend`` joins are seamless); the
  final's four shots were submitted at 1080p on the board's tier (fast), the draft's at
  480p on mini; the film's asset event carries its cost (pricing API) and shot ids.
* Reject: the final's shots are skipped and never submitted; only the draft was paid.
* The same on a running deployment (scheduler, triggerer, dag-processor, api-server),
  the run triggered over the API with no logical date: the path a browser test of the
  approval screen starts from (``story_ad_deployment``, ``run_to_approval``).
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.timeout(900)]

airflow = pytest.importorskip("airflow")
if tuple(int(p) for p in airflow.__version__.split(".")[:2]) < (3, 1):
    pytest.skip("human-in-the-loop approval needs Airflow 3.1+", allow_module_level=True)

import av  # noqa: E402
import numpy as np  # noqa: E402

from seedance_simulator import Simulator  # noqa: E402
from tests.support import diagnosis  # noqa: E402
from tests.support.net import free_port  # noqa: E402
from tests.support.paths import REPO_ROOT as ROOT  # noqa: E402
from tests.support.story_approval import (  # noqa: E402
    AirflowAPI,
    answer_approval,
    created_tasks,
    story_env,
    wait_for_approval,
)

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
API_KEY = "story-ad-secret-key-4242"
EXAMPLES = ROOT / "airflow_provider_seedance" / "example_dags"
FILM_SECONDS = 5 + 4 + 4 + 4
DRAFT_SHOTS, FINAL_SHOTS = 4, 4


class StoryHome:
    """A temporary AIRFLOW_HOME on the examples, an api-server on its DB, one simulator."""

    def __init__(self, home: Path, sim: Simulator, port: int) -> None:
        self.home, self.sim, self.port = home, sim, port
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        self.env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLES),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(port),
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API_AUTH__JWT_SECRET": "story-ad-jwt-secret-for-tests-only",
                "PYTHONPATH": str(ROOT),
                "NO_PROXY": "127.0.0.1,localhost",
            }
        )
        self.env.update(story_env(sim.base_url, API_KEY, home / "out"))
        self.api = AirflowAPI(f"http://127.0.0.1:{port}")

    def airflow(self, *args: str) -> None:
        done = subprocess.run([AIRFLOW, *args], env=self.env, capture_output=True, text=True,
                              timeout=300, cwd=self.home)  # fmt: skip
        assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]

    def run(self, *, approve: bool) -> tuple[dict[str, Any], str]:
        """One ``dags test`` run, answered over the REST API; (HITL detail, its log)."""
        log_path = self.home / f"dags-test-{'approve' if approve else 'reject'}.log"
        when = datetime.now(UTC).replace(microsecond=0).isoformat()
        with log_path.open("wb") as log:
            proc = subprocess.Popen([AIRFLOW, "dags", "test", "seedance_story_ad", when],
                                    env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                    cwd=self.home, start_new_session=True)  # fmt: skip
            try:

                def alive() -> None:
                    if proc.poll() is not None:
                        pytest.fail("dags test ended early:\n" + log_path.read_text()[-5000:])

                detail = wait_for_approval(self.api, timeout=400, alive=alive)
                answer_approval(self.api, detail, approve=approve)
                proc.wait(timeout=400)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, 9)
                    proc.wait(timeout=30)
        text = log_path.read_text(errors="replace")
        assert proc.returncode == 0, text[-5000:]
        return detail, text


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoryHome]:
    home = tmp_path_factory.mktemp("story-ad-home")
    with Simulator(api_key=API_KEY, generation_time=1.0, fast=True) as sim:
        runner = StoryHome(home, sim, free_port())
        runner.airflow("db", "migrate")
        with (home / "api-server.log").open("wb") as log:
            server = subprocess.Popen([AIRFLOW, "api-server", "--port", str(runner.port),
                                       "--host", "127.0.0.1"], env=runner.env, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        diagnosis.watch(home)  # a failed test prints the runs' task states and log tails
        try:
            runner.api.wait_ready()
            yield runner
        finally:
            diagnosis.unwatch(home)
            os.killpg(server.pid, 15)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)
                server.wait(timeout=10)


def _submitted(sim: Simulator) -> list[dict[str, Any]]:
    return created_tasks(sim, API_KEY)


def _scene_cuts(path: Path) -> tuple[float, list[float]]:
    """The film's length, and the times where the picture jumps (consecutive frames differ
    far more than anywhere else): a scene cut, as an editor or a viewer would see it."""
    with av.open(str(path)) as container:
        seconds = float(container.duration) / 1e6
        stamps, thumbs = [], []
        for frame in container.decode(video=0):
            stamps.append(float(frame.time))
            thumbs.append(np.asarray(frame.to_image().convert("L").resize((64, 36)), float))
    diffs = np.array([np.abs(b - a).mean() for a, b in itertools.pairwise(thumbs)])
    threshold = max(25.0, 6 * float(np.median(diffs)))
    return seconds, [stamps[i + 1] for i in np.flatnonzero(diffs > threshold)]


def _film_from(sim: Simulator, url: str) -> None:
    answer = httpx.get(url, trust_env=False)
    answer.raise_for_status()
    assert answer.content[:8] == b"\x89PNG\r\n\x1a\n" or answer.content[4:8] == b"ftyp"


def test_approved_draft_renders_the_final_at_1080p_on_the_boards_tier(story: StoryHome) -> None:
    before = len(_submitted(story.sim))
    detail, log = story.run(approve=True)
    body = detail["body"]
    assert "Sneaker launch" in detail["subject"]
    assert "**Draft film**: [http" in body and "![contact sheet](http" in body
    assert "(pricing API)" in body and "Quoted **$" in body and "fast, 1080p" in body
    urls = [part.split(")")[0] for part in body.split("](")[1:]]
    for url in urls:  # the film and the contact sheet open from a browser
        _film_from(story.sim, url)
    runs = sorted((story.home / "out" / "story-ad").iterdir(), key=lambda p: p.stat().st_mtime)
    folder = runs[-1]
    finals = list((folder / "final").glob("*.mp4"))
    drafts = list((folder / "draft").glob("*.mp4"))
    assert len(finals) == 1 and len(drafts) == 1, log[-4000:]
    assert (folder / "final" / "sneaker-launch-contact-sheet.png").is_file()
    for film in (drafts[0], finals[0]):
        seconds, cuts = _scene_cuts(film)
        assert seconds == pytest.approx(FILM_SECONDS, abs=0.35)
        # one cut, where shot 4 (a new image) starts; continue (5 s) and extend (9 s) flow
        assert len(cuts) == 1 and cuts[0] == pytest.approx(13.0, abs=0.15), cuts
    created = _submitted(story.sim)[before:]
    assert len(created) == DRAFT_SHOTS + FINAL_SHOTS
    draft_tasks, final_tasks = created[:DRAFT_SHOTS], created[DRAFT_SHOTS:]
    assert all("seedance-2.0-mini/" in t["model"] for t in draft_tasks)
    assert all(t["input"]["resolution"] == "480p" for t in draft_tasks)
    assert all("seedance-2.0-fast/" in t["model"] for t in final_tasks), final_tasks
    assert all(t["input"]["resolution"] == "1080p" for t in final_tasks)
    assert sorted(t["model"].rsplit("/", 1)[1] for t in final_tasks) == [
        "image-to-video", "image-to-video", "text-to-video", "video-extend"
    ]  # fmt: skip
    states = _states(story, detail["task_instance"]["dag_run_id"])
    assert states["approve_final_decision"] == "success", states


def test_rejected_draft_never_submits_the_final(story: StoryHome) -> None:
    before = len(_submitted(story.sim))
    charged = story.sim.stats()["charged_usd"]
    detail, _ = story.run(approve=False)
    created = _submitted(story.sim)[before:]
    assert len(created) == DRAFT_SHOTS, created
    assert all("seedance-2.0-mini/" in t["model"] for t in created)
    assert all(t["input"]["resolution"] == "480p" for t in created)
    paid = story.sim.stats()["charged_usd"] - charged
    quoted_draft = float(detail["body"].split("the draft cost **$")[1].split("**")[0])
    assert paid == pytest.approx(quoted_draft, abs=1e-3)
    run_id = detail["task_instance"]["dag_run_id"]
    states = _states(story, run_id)
    assert states["approve_final"] == "success" and states["draft.stitch"] == "success"
    assert states["approve_final_decision"] == "skipped", states  # Reject skips the decision
    assert {states[f"final.shot_0{i}"] for i in range(1, 5)} == {"skipped"}, states
    assert states["final.stitch"] == "skipped"


def _states(story: StoryHome, run_id: str) -> dict[str, str]:
    with sqlite3.connect(story.home / "airflow.db", timeout=30) as db:
        rows = db.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id=? AND run_id=?",
            ("seedance_story_ad", run_id),
        )
        return {task: state for task, state in rows}
