"""Every injectable fault, as seen on the wire; seeded determinism; the admin endpoints."""

from __future__ import annotations

import time

import httpx
import pytest

from seedance_simulator import FaultConfig, Simulator
from tests.support import plain_http
from tests.support.media import data_uri, marked_png

from .conftest import API_KEY, wait_terminal

BODY = {"prompt": "x", "image": data_uri(marked_png())}


def test_429_carries_retry_after_and_json_envelope(sim, api):
    sim.set_faults(rate_429=1.0, retry_after=7)
    resp = api.get("/api/v3/predictions/any/result")
    assert resp.status_code == 429
    assert resp.headers["retry-after"] == "7"
    assert resp.json()["code"] == 429


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_with_json_body(sim, api, status):
    sim.set_faults(**{f"rate_{status}": 1.0, "html_fraction": 0.0})
    resp = api.get("/api/v3/predictions/any/result")
    assert resp.status_code == status
    assert resp.json()["code"] == status


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_with_html_body(sim, api, status):
    sim.set_faults(**{f"rate_{status}": 1.0, "html_fraction": 1.0})
    resp = api.get("/api/v3/predictions/any/result")
    assert resp.status_code == status
    assert resp.headers["content-type"].startswith("text/html")
    assert f"<h1>{status}" in resp.text
    with pytest.raises(ValueError):
        resp.json()


def test_connection_reset_closes_without_response(sim, api):
    sim.set_faults(rate_reset=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/api/v3/predictions/any/result")
    sim.set_faults(FaultConfig())
    assert api.get("/api/v3/predictions/any/result").status_code == 404  # server still fine


def test_slow_response_is_delayed_then_normal(sim, api):
    sim.set_faults(rate_slow=1.0, slow_seconds=0.4)
    start = time.monotonic()
    resp = api.get("/api/v3/predictions/any/result")
    assert time.monotonic() - start >= 0.4
    assert resp.status_code == 404


def test_faults_respect_scopes(sim, api, submit):
    sim.set_faults(rate_503=1.0, scopes=("result",))
    created = submit(BODY)
    assert created.status_code == 200
    assert api.get(f"/api/v3/predictions/{created.json()['data']['id']}").status_code == 503


@pytest.mark.parametrize("code", [5000, 5003, 1200])
def test_failed_generation_reports_status_failed_with_code(sim, api, submit, code):
    sim.set_faults(failed_generation=1.0, failure_codes=(code,))
    resp = submit(BODY)
    assert resp.status_code == 200  # the failure shows on the task, not on submit
    result = wait_terminal(api, resp.json()["data"]["id"])
    assert result["status"] == "failed" and result["code"] == code
    assert result["error"] and result["outputs"] == []


def test_ambiguous_submit_creates_the_task_then_answers_502(sim, api, submit):
    sim.set_faults(ambiguous_submit=1.0)
    resp = submit(BODY)
    assert resp.status_code == 502
    assert sim.stats()["submissions"] == 1
    history = api.post("/api/v3/predictions", json={}).json()["data"]["items"]
    assert len(history) == 1
    assert wait_terminal(api, history[0]["id"])["status"] == "completed"


def _status_sequence(seed: int) -> list[int]:
    faults = FaultConfig(rate_429=0.2, rate_500=0.1, rate_503=0.1)
    with Simulator(api_key=API_KEY, fast=True, seed=seed, faults=faults) as s:
        auth = {"Authorization": f"Bearer {API_KEY}"}
        with plain_http.client(base_url=s.base_url, headers=auth) as c:
            return [c.get("/api/v3/predictions/none/result").status_code for _ in range(60)]


def test_same_seed_gives_the_same_faults_and_rates_are_roughly_honoured():
    first, second = _status_sequence(11), _status_sequence(11)
    assert first == second
    assert first != _status_sequence(12)
    faulted = sum(code != 404 for code in first)
    assert 10 <= faulted <= 38  # 40 % of 60 = 24 expected


def test_constructor_kwargs_set_faults():
    with Simulator(api_key=API_KEY, fast=True, rate_503=1.0, html_fraction=0.0) as s:
        resp = plain_http.get(
            f"{s.base_url}/api/v3/predictions/x", headers={"Authorization": f"Bearer {API_KEY}"}
        )
        assert resp.status_code == 503


def test_admin_endpoints_set_faults_read_stats_and_reset(sim, api):
    resp = api.post("/_sim/faults", json={"rate_429": 1.0, "seed": 3})
    assert resp.status_code == 200 and resp.json()["faults"]["rate_429"] == 1.0
    assert api.get("/api/v3/predictions/x/result").status_code == 429
    stats = api.get("/_sim/stats").json()
    assert stats["faults_injected"] == {"429": 1} and stats["polls"] == 0
    assert api.post("/_sim/faults", json={"rate_429": 0.0}).status_code == 200
    assert api.post("/_sim/faults", json={"nonsense": 1}).status_code == 400
    assert api.post("/_sim/faults", json={"rate_500": 2}).status_code == 400
    assert api.post("/_sim/reset").json() == {"reset": True}
    assert api.get("/_sim/stats").json()["requests"] == 1  # just this one


def test_fault_config_rejects_bad_values():
    with pytest.raises(ValueError, match="rate_429"):
        FaultConfig(rate_429=1.5)
    with pytest.raises(ValueError, match="scopes"):
        FaultConfig(scopes=("everything",))


def test_submit_faults_do_not_create_tasks(sim, submit):
    sim.set_faults(rate_502=1.0, scopes=("submit",))
    assert submit(BODY).status_code == 502
    assert sim.stats()["submissions"] == 0
