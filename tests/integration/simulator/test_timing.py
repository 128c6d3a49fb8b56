"""History lag and submit hold: the two windows in which a crash or a lost answer can hide a
paid task (issue "pay once even when the crash lands inside the submit")."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from seedance_simulator import Simulator

from .conftest import API_KEY, I2V

BODY = {"prompt": "a slow push-in", "image": "https://example.com/cat.png", "duration": 5}


def _history(api: httpx.Client) -> list[dict]:
    response = api.post("/api/v3/predictions", json={"page": 1, "page_size": 100, "model": I2V})
    response.raise_for_status()
    return response.json()["data"]["items"]


def test_history_lag_hides_a_new_task_until_the_lag_has_passed(
    sim: Simulator, api: httpx.Client
) -> None:
    sim.set_timing(history_lag=1.0)
    created = api.post(f"/api/v3/{I2V}", json=BODY).json()["data"]["id"]
    assert [i["id"] for i in _history(api)] == []  # exists, but not listed yet
    assert api.get(f"/api/v3/predictions/{created}/result").status_code == 200
    time.sleep(1.2)
    assert [i["id"] for i in _history(api)] == [created]


def test_submit_hold_creates_the_task_before_answering(sim: Simulator, api: httpx.Client) -> None:
    sim.set_timing(submit_hold=1.5)
    answers: list[str] = []
    thread = threading.Thread(
        target=lambda: answers.append(api.post(f"/api/v3/{I2V}", json=BODY).json()["data"]["id"])
    )
    started = time.monotonic()
    thread.start()
    time.sleep(0.6)
    # The POST is still open, yet the task exists and is counted as a paid submission.
    assert not answers
    assert sum(sim.stats()["submissions_by_fingerprint"].values()) == 1
    assert len(_history(api)) == 1
    thread.join(5)
    assert time.monotonic() - started >= 1.5
    assert answers and _history(api)[0]["id"] == answers[0]
    assert sim.stats()["faults_injected"]["submit_hold"] == 1


def test_timing_admin_endpoint_sets_and_refuses(sim: Simulator, api: httpx.Client) -> None:
    ok = api.post("/_sim/timing", json={"history_lag": 2, "submit_hold": 0.5})
    assert ok.status_code == 200
    assert ok.json() == {
        "generation_time": pytest.approx(0.3),
        "history_lag": 2.0,
        "submit_hold": 0.5,
    }
    unknown = api.post("/_sim/timing", json={"lag": 1})
    assert unknown.status_code == 400 and "allowed" in unknown.json()["message"]
    negative = api.post("/_sim/timing", json={"history_lag": -1})
    assert negative.status_code == 400 and ">= 0" in negative.json()["message"]


def test_cli_flags_set_the_windows() -> None:
    from seedance_simulator.__main__ import build_parser

    args = build_parser().parse_args(["--history-lag", "3", "--submit-hold", "1.5"])
    assert (args.history_lag, args.submit_hold) == (3.0, 1.5)
    with (
        Simulator(api_key=API_KEY, fast=True, history_lag=3.0, submit_hold=0.0) as sim,
        httpx.Client(base_url=sim.base_url, headers={"Authorization": f"Bearer {API_KEY}"}) as api,
    ):
        api.post(f"/api/v3/{I2V}", json=BODY).raise_for_status()
        assert _history(api) == []
