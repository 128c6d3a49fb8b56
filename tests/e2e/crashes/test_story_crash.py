"""Kill -9 the story runner while a shot's POST is open; the re-run pays for it once.

The simulator creates each task at the start of the POST and holds the answer (3 s), and
lags its history (2 s). The two shots are independent, so both POSTs are sent at once;
the process generating the story is SIGKILLed while both are held open (each task exists
and is billed, no id was stored). A new process re-runs the same board: each shot is found
in the history from its intent record (not paid again), the film is stitched, and exactly
one generation per shot was paid.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seedance_simulator import Simulator
from tests.support.media import count_frames, make_png

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

API_KEY = "story-crash-key-7777"
RUNNER = Path(__file__).with_name("story_run.py")
ROOT = Path(__file__).resolve().parents[3]
BOARD = """
title: Crash test
tier: mini
resolution: 480p
references: {images: [hero.png]}
shots:
  - prompt: "@Image1 opens the door"
    duration: 4
  - prompt: "a street at night"
    duration: 4
    image: street.png
"""


def _run(sim: Simulator, board: Path, dest: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(RUNNER), sim.base_url, API_KEY, str(board), str(dest), "10"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip


def test_a_story_killed_inside_a_shots_submit_pays_each_shot_once(tmp_path: Path) -> None:
    (tmp_path / "hero.png").write_bytes(make_png(48, 48, (200, 20, 20)))
    (tmp_path / "street.png").write_bytes(make_png(64, 36, (20, 20, 90)))
    board = tmp_path / "board.yaml"
    board.write_text(BOARD)
    dest = tmp_path / "out"
    with Simulator(api_key=API_KEY, fast=True, generation_time=1.0, submit_hold=3.0,
                   history_lag=2.0) as sim:  # fmt: skip
        first = _run(sim, board, dest)
        deadline = time.monotonic() + 60
        while sim.stats()["submissions"] < 2 and time.monotonic() < deadline:
            time.sleep(0.02)  # both shots are independent: both POSTs are now held open
        assert sim.stats()["submissions"] == 2
        time.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert first.returncode == -signal.SIGKILL
        ledgers = sorted((dest / ".story").rglob("shot-*.json"))
        assert len(ledgers) == 2
        assert all("prediction_id" not in json.loads(p.read_text()) for p in ledgers)

        sim.set_timing(submit_hold=0.0)
        again = _run(sim, board, dest)
        out, err = again.communicate(timeout=180)
        assert again.returncode == 0, err[-3000:]
        result = json.loads(out.strip().splitlines()[-1])
        assert sim.stats()["submissions"] == 2  # nothing paid twice
        assert len(set(result["shots"])) == 2
        assert all(sim.task(pid) is not None for pid in result["shots"])
        assert count_frames(result["film"]) > 0
