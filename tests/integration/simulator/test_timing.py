"""History lag and submit hold: the two windows in which a crash or a lost answer can hide a
paid task (issue "pay once even when the crash lands inside the submit")."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from seedance_simulator import Simulator
from tests.support import plain_http

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
        "generation_spread": 0.0,
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
        plain_http.client(
            base_url=sim.base_url, headers={"Authorization": f"Bearer {API_KEY}"}
        ) as api,
    ):
        api.post(f"/api/v3/{I2V}", json=BODY).raise_for_status()
        assert _history(api) == []


def test_generation_spread_staggers_completions_and_reads_record_when_noticed(
    file_server,  # type: ignore[no-untyped-def]
) -> None:
    """A burst of submits completes over ``generation_spread`` seconds, each task at a time
    fixed by its id; the first read that answers a terminal status is recorded."""
    from tests.support.media import make_png

    file_server.files["/cat.png"] = ("image/png", make_png())
    body = {**BODY, "image": f"{file_server.url}/cat.png"}
    with (
        Simulator(api_key=API_KEY, fast=True, generation_time=0.3, generation_spread=1.5) as sim,
        plain_http.client(
            base_url=sim.base_url, headers={"Authorization": f"Bearer {API_KEY}"}
        ) as api,
    ):
        ids = [api.post(f"/api/v3/{I2V}", json=body).json()["data"]["id"] for _ in range(12)]
        assert sim.notice_delays(ids) == []  # nothing completed, nothing noticed
        took: dict[str, float] = {}
        deadline = time.monotonic() + 30
        while len(took) < len(ids) and time.monotonic() < deadline:
            for i in set(ids) - set(took):  # every open task read every ~50 ms
                data = api.get(f"/api/v3/predictions/{i}/result").json()["data"]
                if data["status"] in ("completed", "failed"):
                    took[i] = data["executionTime"] / 1000
            time.sleep(0.05)
        delays = sim.notice_delays(ids)
    assert all(0.3 <= t <= 0.3 + 1.5 + 0.5 for t in took.values()), took
    assert max(took.values()) - min(took.values()) > 0.5  # spread, not one burst
    assert len(delays) == 12 and all(0 <= d < 0.5 for d in delays)  # polled every 50 ms


def test_generation_spread_is_a_timing_setting() -> None:
    from seedance_simulator.__main__ import build_parser

    assert build_parser().parse_args(["--generation-spread", "20"]).generation_spread == 20.0
    with (
        Simulator(api_key=API_KEY, fast=True) as sim,
        plain_http.client(
            base_url=sim.base_url, headers={"Authorization": f"Bearer {API_KEY}"}
        ) as api,
    ):
        answer = api.post("/_sim/timing", json={"generation_spread": 4}).json()
        assert answer["generation_spread"] == 4.0
        sim.set_generation_time(1.0, spread=2.0)
        assert api.post("/_sim/timing", json={}).json()["generation_spread"] == 2.0
