"""Account levels over real HTTP: the concurrency queue, the per-minute 429, the time scale.

WaveSpeed queues tasks over the account's concurrency limit (they wait, status
``queued``) and answers 429 with ``Retry-After`` to submits over the per-minute limit,
creating nothing. The provider's limit handling and the distributed benchmark are only
as good as these behaviours, so each is checked from the outside.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from seedance_simulator import Simulator
from tests.support import plain_http
from tests.support.media import data_uri, pil_png

from .conftest import API_KEY, I2V

BODY = {"image": data_uri(pil_png((32, 32))), "duration": 5}
HEADERS = {"Authorization": f"Bearer {API_KEY}"}


def _body(i: int) -> dict[str, object]:
    return {**BODY, "prompt": f"shot {i}"}


def _client(sim: Simulator) -> httpx.Client:
    return plain_http.client(base_url=sim.base_url, headers=HEADERS, timeout=30)


def _status(api: httpx.Client, task_id: str) -> str:
    return str(api.get(f"/api/v3/predictions/{task_id}/result").json()["data"]["status"])


def _history_total(api: httpx.Client) -> int:
    page = api.post("/api/v3/predictions", json={"page": 1, "page_size": 100})
    return int(page.json()["data"]["total"])


@pytest.fixture
def limited() -> Iterator[Simulator]:
    with Simulator(
        api_key=API_KEY, fast=True, generation_time=0.8, max_concurrent=2, seed=1
    ) as sim:
        yield sim


def test_tasks_over_the_concurrency_limit_queue_and_run_in_submit_order(
    limited: Simulator,
) -> None:
    with _client(limited) as api:
        ids = [api.post(f"/api/v3/{I2V}", json=_body(i)).json()["data"]["id"] for i in range(5)]
        assert [_status(api, i) for i in ids[2:]] == ["queued"] * 3
        assert {_status(api, i) for i in ids[:2]} <= {"created", "processing"}
        done_at: dict[str, float] = {}
        deadline = time.monotonic() + 20
        while len(done_at) < len(ids) and time.monotonic() < deadline:
            for task_id in ids:
                if task_id not in done_at and _status(api, task_id) == "completed":
                    done_at[task_id] = time.monotonic()
            time.sleep(0.05)
    assert len(done_at) == 5, "every queued task must run once a slot frees"
    # Two at a time, first submitted first: the pairs finish ~0.8 s apart, in order.
    order = sorted(ids, key=done_at.__getitem__)
    assert set(order[:2]) == set(ids[:2]) and set(order[2:4]) == set(ids[2:4])
    assert order[4] == ids[4]
    assert done_at[ids[4]] - max(done_at[i] for i in ids[:2]) >= 1.2
    limits = limited.stats()["limits"]
    assert limits["max_running"] == 2 and limits["max_queued"] == 3
    assert all(s["running"] <= 2 for s in limits["queue_samples"])
    assert max(s["queued"] for s in limits["queue_samples"]) == 3
    assert limits["queue_samples"][-1] == {**limits["queue_samples"][-1], "queued": 0, "running": 0}
    assert limits["rate_limited"] == 0


def test_over_the_per_minute_limit_a_submit_gets_429_and_creates_nothing() -> None:
    with (
        Simulator(
            api_key=API_KEY, fast=True, generation_time=0.2, videos_per_minute=2, time_scale=60
        ) as sim,
        _client(sim) as api,
    ):
        before = sim.balance()
        assert [api.post(f"/api/v3/{I2V}", json=_body(i)).status_code for i in range(2)] == [
            200,
            200,
        ]
        refused = api.post(f"/api/v3/{I2V}", json=_body(2))
        assert refused.status_code == 429
        assert refused.json()["data"] is None and refused.json()["code"] == 429
        retry_after = float(refused.headers["Retry-After"])
        assert 0 < retry_after <= 1.0  # 60 s / 60
        stats = sim.stats()
        assert stats["submissions"] == 2 and len(stats["submissions_by_fingerprint"]) == 2
        assert stats["limits"]["rate_limited"] == 1
        assert len(stats["limits"]["rate_limited_at"]) == 1
        assert abs(stats["limits"]["rate_limited_at"][0] - time.time()) < 5
        assert _history_total(api) == 2
        time.sleep(retry_after + 0.05)
        assert api.post(f"/api/v3/{I2V}", json=_body(2)).status_code == 200
        time.sleep(0.6)  # all three completed: exactly three runs charged, none for the 429
        assert sim.stats()["by_model"][I2V]["completed"] == 3
        charged = [b for b in sim.billings() if b["type"] == "usage"]
        assert len(charged) == 3
        assert sim.balance() == pytest.approx(before - 3 * 0.6)


def test_at_real_time_retry_after_is_whole_seconds_within_the_minute() -> None:
    with (
        Simulator(api_key=API_KEY, fast=True, generation_time=0.1, account_level="bronze") as sim,
        _client(sim) as api,
    ):
        codes = [api.post(f"/api/v3/{I2V}", json=_body(i)).status_code for i in range(2)]
        refused = api.post(f"/api/v3/{I2V}", json=_body(9))
        assert codes == [200, 200] and refused.status_code == 429
        assert refused.headers["Retry-After"] in {"59", "60"}
        limits = sim.stats()["limits"]
        assert (limits["account_level"], limits["max_concurrent"]) == ("bronze", 2)
        assert (limits["videos_per_minute"], limits["window_seconds"]) == (2, 60.0)


def test_the_time_scale_keeps_the_rate_in_every_sliding_window() -> None:
    """5 videos a minute at scale 60 (a 1 s window), a client honouring Retry-After:
    never more than 5 accepted in any 1 s, and the throughput is near the limit."""
    accepted: list[float] = []
    with (
        Simulator(
            api_key=API_KEY, fast=True, generation_time=0.1, videos_per_minute=5, time_scale=60
        ) as sim,
        _client(sim) as api,
    ):
        start = time.monotonic()
        i = 0
        while time.monotonic() - start < 3.0:
            answer = api.post(f"/api/v3/{I2V}", json=_body(i))
            if answer.status_code == 200:
                accepted.append(time.monotonic())
                i += 1
            else:
                assert answer.status_code == 429
                time.sleep(float(answer.headers["Retry-After"]))
        rejected = sim.stats()["limits"]["rate_limited"]
    for t in accepted:
        assert sum(1 for u in accepted if t <= u < t + 0.9) <= 5
    assert 12 <= len(accepted) <= 20  # ~5 per second for 3 s
    assert rejected >= 2


def test_limits_change_at_run_time_and_bad_settings_name_the_field(limited: Simulator) -> None:
    with _client(limited) as api:
        ids = [api.post(f"/api/v3/{I2V}", json=_body(i)).json()["data"]["id"] for i in range(4)]
        assert _status(api, ids[3]) == "queued"
        set_ = api.post("/_sim/account", json={"max_concurrent": 4})
        assert set_.status_code == 200 and set_.json()["limits"]["max_concurrent"] == 4
        time.sleep(0.3)
        assert _status(api, ids[3]) in {"created", "processing"}  # started at once
        level = api.post("/_sim/account", json={"account_level": "silver", "time_scale": 10})
        assert level.json()["limits"] == {
            "account_level": "silver",
            "max_concurrent": 300,
            "videos_per_minute": 500,
            "time_scale": 10.0,
            "window_seconds": 6.0,
        }
        bad = api.post("/_sim/account", json={"account_level": "platinum"})
        assert bad.status_code == 400 and "account_level" in bad.json()["message"]
        assert "bronze" in bad.json()["message"]
        bad = api.post("/_sim/account", json={"max_concurrent": -1})
        assert bad.status_code == 400 and "max_concurrent" in bad.json()["message"]
        assert api.get("/_sim/account").json()["limits"]["max_concurrent"] == 300
        api.post("/_sim/reset")
        assert api.get("/_sim/stats").json()["limits"]["queue_samples"] == []


def test_cli_flags_set_the_level_and_explicit_numbers_override_it() -> None:
    cmd = [
        sys.executable, "-m", "seedance_simulator", "--api-key", API_KEY, "--fast",
        "--account-level", "silver", "--max-concurrent", "7", "--time-scale", "30",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        limits = plain_http.get(f"{url}/_sim/account", headers=HEADERS, timeout=10).json()["limits"]
        assert limits == {
            "account_level": "silver",
            "max_concurrent": 7,
            "videos_per_minute": 500,
            "time_scale": 30.0,
            "window_seconds": 2.0,
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    bad = subprocess.run(
        [*cmd[:5], "--videos-per-minute", "-3"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "videos_per_minute" in bad.stderr
