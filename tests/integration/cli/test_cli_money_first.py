"""Issue 24's "failures that cost money first", run as a new user runs them.

Each case once paid for a generation and then failed. The command must now fail before
anything is uploaded or submitted (the simulator's counters prove it), or, for a task
adopted after a lost answer, deliver it; and every paid run prints what it cost.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seedance_simulator import Simulator
from tests.integration.cli.conftest import ROOT, cli_env
from tests.support.media import count_frames, make_png

FAST = ("--poll-interval", "0.2")

JSON_BOARD = {
    "title": "Two shots",
    "tier": "fast",
    "resolution": "480p",
    "shots": [
        {"prompt": "a red door", "duration": 4},
        {"prompt": "it opens", "duration": 4, "join": "continue"},
    ],
}


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "cat.png"
    path.write_bytes(make_png(64, 64))
    return path


def _nothing_paid(sim: Simulator) -> None:
    stats = sim.stats()
    assert (stats["submissions"], stats["uploads"]) == (0, 0), stats


def test_an_out_that_is_a_file_is_refused_before_paying(run, sim: Simulator, image: Path, tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    r = run("generate", "i2v", str(image), "--prompt", "a cat", "--out", str(taken), *FAST)
    assert r.code == 2, r.err
    last = r.err.strip().splitlines()[-1]
    assert last.startswith("seedance: --out: ") and "not a folder" in last, r.err
    assert "nothing was submitted or paid" in last and "Traceback" not in r.err
    _nothing_paid(sim)


def test_an_out_that_cannot_be_created_is_refused_before_paying(
    run, sim: Simulator, image: Path, tmp_path: Path
):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run("generate", "i2v", str(image), "--prompt", "a cat", "--out", str(blocker / "sub"))
    assert r.code == 2, r.err
    assert "--out: " in r.err and "cannot be written" in r.err, r.err
    _nothing_paid(sim)


def _without_pyav(tmp_path: Path) -> str:
    """A PYTHONPATH entry whose ``av`` cannot be imported: the stories extra missing."""
    shadow = tmp_path / "no-pyav" / "av"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('PyAV is not installed here')\n")
    return str(shadow.parent)


def test_a_story_without_the_stories_extra_fails_its_dry_run_and_pays_nothing(
    sim: Simulator, tmp_path: Path
):
    board = tmp_path / "board.json"
    board.write_text(json.dumps(JSON_BOARD))
    env = cli_env(sim.base_url)
    env["PYTHONPATH"] = f"{_without_pyav(tmp_path)}:{ROOT}"
    for extra in (("--dry-run",), ("--out", str(tmp_path / "film"), *FAST)):
        proc = subprocess.run(
            [sys.executable, "-m", "shared_client.cli", "generate", "story", str(board), *extra],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, proc.stderr
        assert "'stories' extra is not installed" in proc.stderr, proc.stderr
        assert "pip install 'seedance-workflows[stories]'" in proc.stderr
    _nothing_paid(sim)


def test_a_lost_answer_adopted_as_a_finished_task_is_delivered(
    run, sim: Simulator, image: Path, tmp_path: Path
):
    """The submit creates the task but its answer is lost (502); the task finishes before
    the history search finds it. The command adopts it, downloads it, and exits 0."""
    sim.set_faults(seed=3, ambiguous_submit=1.0)
    sim.set_generation_time(0.05)
    out = tmp_path / "out"
    r = run("generate", "i2v", str(image), "--prompt", "a cat", "--out", str(out), "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["prediction"]["status"] == "completed"
    [file] = data["files"]
    assert count_frames(file) > 0
    assert data["prediction"]["cost_usd"] is not None
    assert sim.stats()["submissions"] == 1


def test_every_paid_run_prints_its_cost_without_a_cap(run, sim: Simulator, image: Path):
    text = run("generate", "i2v", str(image), "--prompt", "a cat", "--duration", "4", *FAST)
    assert text.code == 0, text.err
    assert "cost $" in text.out and "(pricing API)" in text.out, text.out
    # the quote line before paying names what is sent
    paying = [line for line in text.err.splitlines() if line.startswith("paying ")]
    assert len(paying) == 1, text.err
    assert "mini" in paying[0] and "720p" in paying[0] and "4 s" in paying[0], paying
    as_json = run("generate", "i2v", str(image), "--prompt", "a cat", "--json", *FAST)
    prediction = json.loads(as_json.out)["prediction"]
    assert prediction["cost_usd"] > 0 and prediction["cost_source"] == "api"


def test_messages_name_options_and_count_from_one(run, sim: Simulator, image: Path, tmp_path):
    capped = run("generate", "i2v", str(image), "--prompt", "a cat", "--max-cost", "0.01")
    assert capped.code == 4 and "Raise --max-cost" in capped.err, capped.err
    assert "max_cost_usd" not in capped.err
    missing = str(tmp_path / "missing.png")
    refs = run(
        "generate", "t2v", "--prompt", "x", "--reference-image", str(image),
        "--reference-image", missing,
    )  # fmt: skip
    assert refs.code == 2, refs.err
    assert "--reference-image 2" in refs.err and "reference_images" not in refs.err, refs.err
    _nothing_paid(sim)
