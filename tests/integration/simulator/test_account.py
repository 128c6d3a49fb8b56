"""Prices, balance, holds, 402, usage and billings over HTTP (and the CLI's --balance)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from seedance_simulator import Simulator
from tests.support import plain_http
from tests.support.media import data_uri, marked_png

from .conftest import API_KEY, wait_terminal
from .family_support import coloured_mp4, run, upload

S, F, M = "bytedance/seedance-2.0/", "bytedance/seedance-2.0-fast/", "bytedance/seedance-2.0-mini/"
#: The brief's table, written out independently of the simulator's own copy.
RATES = {
    S + "text-to-video": 0.24,
    S + "text-to-video-fast": 0.24,
    S + "text-to-video-turbo": 0.24,
    S + "image-to-video": 0.24,
    S + "video-extend": 0.24,
    S + "video-edit": 0.24,
    F + "text-to-video": 0.16,
    F + "text-to-video-turbo": 0.12,
    F + "reference-to-video": 0.16,
    F + "image-to-video": 0.16,
    F + "video-extend": 0.16,
    M + "image-to-video": 0.12,
    M + "video-extend": 0.12,
    M + "text-to-video": 0.12,
    M + "text-to-video-turbo": 0.12,
}
FACTORS = {"480p": 0.465, "720p": 1.0, "1080p": 2.259}
T2V = S + "text-to-video"
IMAGE = data_uri(marked_png())


def formula(model: str, resolution: str, seconds: float) -> float:
    return round(RATES[model] * FACTORS[resolution] * seconds, 4)


@pytest.fixture
def wallet() -> Iterator[Simulator]:
    with Simulator(api_key=API_KEY, fast=True, generation_time=0.3, balance=10.0) as s:
        yield s


@pytest.fixture
def wapi(wallet: Simulator) -> Iterator[httpx.Client]:
    auth = {"Authorization": f"Bearer {API_KEY}"}
    with plain_http.client(base_url=wallet.base_url, headers=auth, timeout=30) as client:
        yield client


def _price(api: httpx.Client, model: str, inputs: dict) -> httpx.Response:
    return api.post("/api/v3/model/pricing", json={"model_id": model, "inputs": inputs})


def _inputs(model: str) -> dict:
    if "image-to-video" in model:
        return {"prompt": "p", "image": IMAGE}
    if "video-extend" in model or "video-edit" in model:
        return {"prompt": "p", "video": "https://example.com/in.mp4"}
    return {"prompt": "p"}


@pytest.mark.parametrize("model", sorted(RATES))
@pytest.mark.parametrize(("resolution", "duration"), [("480p", 4), ("720p", 5), ("1080p", 15)])
def test_pricing_api_is_the_formula_for_every_path(api, model, resolution, duration):
    inputs = {**_inputs(model), "resolution": resolution, "duration": duration}
    response = _price(api, model, inputs)
    assert response.status_code == 200
    assert response.json() == {
        "code": 200,
        "message": "success",
        "data": {
            "model_id": model,
            "unit_price": formula(model, resolution, duration),
            "currency": "USD",
        },
    }


def test_pricing_defaults_references_and_edit_lengths(api):
    assert _price(api, T2V, {"prompt": "p"}).json()["data"]["unit_price"] == 1.2  # 720p, 5 s
    refs = {"prompt": "p", "reference_images": [IMAGE], "reference_videos": [IMAGE]}
    assert _price(api, T2V, refs).json()["data"]["unit_price"] == 1.2  # references are free
    extend = {"prompt": "p", "video": "https://example.com/v.mp4", "duration": 6}
    assert _price(api, F + "video-extend", extend).json()["data"]["unit_price"] == 0.96
    edit = S + "video-edit"
    far = {"prompt": "p", "video": "https://example.com/v.mp4"}
    assert _price(api, edit, far).json()["data"]["unit_price"] == 3.6  # unknown length: 15 s
    own = {"prompt": "p", "video": upload(api, "v.mp4", coloured_mp4(3), "video/mp4")}
    assert _price(api, edit, own).json()["data"]["unit_price"] == 0.72  # probed: 3 s
    assert _price(api, edit, {**own, "duration": 4}).json()["data"]["unit_price"] == 0.96


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        (
            {"model_id": "bytedance/seedance-9/text-to-video", "inputs": {"prompt": "p"}},
            1401,
            "model_id",
        ),
        ({"inputs": {"prompt": "p"}}, 1400, "model_id"),
        ({"model_id": T2V, "inputs": {"prompt": "p", "duration": 3}}, 1401, "duration"),
        ({"model_id": T2V, "inputs": {}}, 1400, "prompt"),
        ({"model_id": T2V, "inputs": "prompt"}, 1401, "inputs"),
        ({"model_id": S + "video-edit", "inputs": {"prompt": "p"}}, 1400, "video"),
    ],
)
def test_pricing_refuses_what_a_submit_would(sim, api, body, code, words):
    response = api.post("/api/v3/model/pricing", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == code and words in response.json()["message"]
    assert sim.stats()["submissions"] == 0


def test_balance_runs_down_by_exactly_the_price_after_completion(wallet, wapi):
    inputs = {"prompt": "a harbour", "resolution": "480p", "duration": 7}
    price = _price(wapi, F + "text-to-video-turbo", inputs).json()["data"]["unit_price"]
    assert price == formula(F + "text-to-video-turbo", "480p", 7) == 0.3906
    task = wapi.post(f"/api/v3/{F}text-to-video-turbo", json=inputs).json()["data"]
    assert wapi.get("/api/v3/balance").json()["data"] == {"balance": 10.0}  # held, not charged
    assert wallet.stats()["held_usd"] == price
    assert wait_terminal(wapi, task["id"])["status"] == "completed"
    assert wapi.get("/api/v3/balance").json()["data"] == {"balance": 9.6094}
    assert wapi.get("/api/v3/account/balance").json()["data"] == {
        "balance": 9.6094,
        "currency": "USD",
    }
    stats = wallet.stats()
    assert (stats["balance"], stats["charged_usd"], stats["held_usd"]) == (9.6094, 0.3906, 0)


def test_insufficient_balance_refuses_the_submit_with_402_and_creates_nothing(wallet, wapi):
    wallet.set_balance(1.0)
    response = wapi.post(f"/api/v3/{T2V}", json={"prompt": "too dear"})
    assert response.status_code == 402
    assert response.json() == {
        "code": 402,
        "message": "insufficient balance: this run costs $1.20, available $1.00",
        "data": None,
    }
    stats = wallet.stats()
    assert stats["submissions"] == 0 and stats["by_model"] == {}
    assert stats["insufficient_balance_refusals"] == 1
    history = wapi.post("/api/v3/predictions", json={}).json()["data"]
    assert history["total"] == 0
    assert wallet.balance() == 1.0
    cheaper = wapi.post(f"/api/v3/{T2V}", json={"prompt": "cheap", "resolution": "480p"})
    assert cheaper.status_code == 200  # 0.558 fits


def test_runs_in_flight_hold_their_price(wallet, wapi):
    wallet.set_balance(2.0)
    wallet.set_generation_time(1.5)
    first = wapi.post(f"/api/v3/{T2V}", json={"prompt": "one"})
    assert first.status_code == 200
    second = wapi.post(f"/api/v3/{T2V}", json={"prompt": "two"})
    assert second.status_code == 402
    assert second.json()["message"].endswith("available $0.80")
    wait_terminal(wapi, first.json()["data"]["id"])
    assert wallet.balance() == 0.8
    assert wapi.post(f"/api/v3/{T2V}", json={"prompt": "two"}).status_code == 402


def test_failed_runs_are_not_charged(wallet, wapi):
    wallet.set_faults(failed_generation=1.0, failure_codes=(5000,))
    task = wapi.post(f"/api/v3/{T2V}", json={"prompt": "x"}).json()["data"]
    assert wait_terminal(wapi, task["id"])["status"] == "failed"
    assert wallet.balance() == 10.0 and wallet.stats()["held_usd"] == 0
    assert wallet.stats()["by_model"][T2V] == {"submitted": 1, "completed": 0, "failed": 1}
    billings = wapi.get("/api/v3/account/billings", params={"type": "usage"}).json()["data"]
    assert billings["items"] == [] and billings["pagination"]["total"] == 0


def test_usage_and_billings_report_what_was_charged(wallet, wapi):
    runs = [
        (T2V, {"prompt": "a", "duration": 4}),
        (T2V, {"prompt": "b", "resolution": "1080p", "duration": 6}),
        (M + "image-to-video", {"prompt": "c", "image": IMAGE, "resolution": "480p"}),
    ]
    prices = []
    for model, body in runs:
        assert run(wapi, model, body)["status"] == "completed"
        prices.append(formula(model, body.get("resolution", "720p"), body.get("duration", 5)))
    today = datetime.now(UTC).date()
    period = {"start_date": (today - timedelta(days=1)).isoformat(), "end_date": today.isoformat()}
    usage = wapi.get("/api/v3/account/usage", params=period).json()["data"]
    assert usage["period"] == period
    assert usage["total_requests"] == 3
    assert usage["total_cost"] == pytest.approx(sum(prices), abs=1e-9)
    assert usage["by_model"] == [
        {"model": M + "image-to-video", "requests": 1, "cost": prices[2]},
        {"model": T2V, "requests": 2, "cost": round(prices[0] + prices[1], 4)},
    ]
    only = wapi.get("/api/v3/account/usage", params={**period, "model": T2V}).json()["data"]
    assert only["total_requests"] == 2 and len(only["by_model"]) == 1
    past = {"start_date": "2020-01-01", "end_date": "2020-01-31"}
    assert wapi.get("/api/v3/account/usage", params=past).json()["data"]["total_requests"] == 0
    assert wallet.balance() == pytest.approx(10.0 - sum(prices), abs=1e-9)

    page = wapi.get("/api/v3/account/billings", params={"page_size": 2}).json()["data"]
    assert page["pagination"] == {"page": 1, "page_size": 2, "total": 4}  # 3 runs + top-up
    newest = page["items"][0]
    assert newest["type"] == "usage" and newest["amount"] == -prices[2]
    assert newest["model"] == M + "image-to-video" and newest["currency"] == "USD"
    assert newest["status"] == "completed" and newest["created_at"].endswith("Z")
    usage_items = wapi.get("/api/v3/account/billings", params={"type": "usage"}).json()["data"]
    assert [i["amount"] for i in usage_items["items"]] == [-p for p in reversed(prices)]
    topups = wapi.get("/api/v3/account/billings", params={"type": "topup"}).json()["data"]
    assert [i["amount"] for i in topups["items"]] == [10.0]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v3/account/usage", {"start_date": "2024-13-01"}),
        ("/api/v3/account/usage", {"start_date": "2024-02-02", "end_date": "2024-02-01"}),
        ("/api/v3/account/billings", {"page_size": "101"}),
        ("/api/v3/account/billings", {"page": "0"}),
        ("/api/v3/account/billings", {"type": "refund"}),
    ],
)
def test_account_queries_are_validated(api, path, params):
    response = api.get(path, params=params)
    assert response.status_code == 400 and response.json()["code"] == 1401


def test_admin_account_endpoint_and_python_api(wallet, wapi):
    assert wapi.post("/_sim/account", json={"balance": 5}).json()["balance"] == 5.0
    assert wapi.get("/api/v3/balance").json()["data"]["balance"] == 5.0
    assert wapi.post("/_sim/account", json={"topup": 2.5}).json()["balance"] == 7.5
    assert wapi.post("/_sim/account", json={"bonus": 1}).status_code == 400
    assert wallet.set_balance(3.25) == 3.25 and wallet.balance() == 3.25
    kinds = [item["type"] for item in wallet.billings()]
    assert kinds == ["topup", "adjustment", "topup", "adjustment"]


def test_account_endpoints_need_the_key(sim):
    for method, path in [
        ("GET", "/api/v3/balance"),
        ("GET", "/api/v3/account/balance"),
        ("GET", "/api/v3/account/usage"),
        ("GET", "/api/v3/account/billings"),
        ("POST", "/api/v3/model/pricing"),
        ("POST", "/_sim/account"),
    ]:
        assert plain_http.request(method, sim.base_url + path, json={}).status_code == 401, path


def test_account_fault_scope_is_opt_in(sim, api):
    sim.set_faults(rate_503=1.0, html_fraction=0.0)  # default scopes: not the account
    assert api.get("/api/v3/predictions/x/result").status_code == 503
    assert api.get("/api/v3/balance").status_code == 200
    sim.set_faults(rate_503=1.0, html_fraction=0.0, scopes=("account",))
    assert api.get("/api/v3/balance").status_code == 503
    assert _price(api, T2V, {"prompt": "p"}).status_code == 503
    assert api.get("/api/v3/predictions/x/result").status_code == 404  # not in scope


def test_cli_balance_flag():
    cmd = [
        sys.executable,
        "-m",
        "seedance_simulator",
        "--api-key",
        "k",
        "--fast",
        "--balance",
        "3.5",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        auth = {"Authorization": "Bearer k"}
        assert (
            plain_http.get(f"{url}/api/v3/balance", headers=auth).json()["data"]["balance"] == 3.5
        )
        refused = plain_http.post(
            f"{url}/api/v3/{T2V}", json={"prompt": "x", "duration": 15}, headers=auth
        )
        assert refused.status_code == 402  # 0.24 x 15 = 3.60 > 3.50
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
