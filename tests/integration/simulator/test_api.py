"""The simulator's API surface: submit, statuses, result, validation, auth, history, stats."""

from __future__ import annotations

import time

import httpx
import pytest

from seedance_simulator import Simulator
from tests.support import plain_http
from tests.support.media import data_uri, marked_png

from .conftest import API_KEY, I2V, wait_terminal

DATA_URI = data_uri(marked_png())


def test_submit_returns_created_envelope_then_completes_with_output(sim, api, submit):
    resp = submit({"prompt": "a fox", "image": DATA_URI})
    assert resp.status_code == 200
    body = resp.json()
    assert body["code"] == 200 and body["message"] == "success"
    data = body["data"]
    assert data["status"] == "created" and data["outputs"] == [] and data["model"] == I2V
    assert data["urls"]["get"] == f"{sim.base_url}/api/v3/predictions/{data['id']}/result"
    assert data["created_at"].endswith("Z")
    seen = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        result = api.get(data["urls"]["get"]).json()["data"]
        seen.add(result["status"])
        if result["status"] == "completed":
            break
        time.sleep(0.02)
    assert {"created", "processing", "completed"} <= seen
    assert result["outputs"] == [f"{sim.base_url}/outputs/{data['id']}.mp4"]
    assert result["has_nsfw_contents"] == [False]
    assert result["timings"]["inference"] >= 300  # generation_time = 0.3 s
    assert result["error"] == ""


def test_bare_prediction_path_answers_like_result(api, submit):
    task_id = submit({"prompt": "a fox", "image": DATA_URI}).json()["data"]["id"]
    bare = api.get(f"/api/v3/predictions/{task_id}").json()
    assert bare["code"] == 200 and bare["data"]["id"] == task_id


def test_unknown_prediction_is_404_envelope(api):
    resp = api.get("/api/v3/predictions/doesnotexist/result")
    assert resp.status_code == 404 and resp.json()["code"] == 404


@pytest.mark.parametrize(
    "model",
    [
        "bytedance/seedance-2.0/image-to-video",
        "bytedance/seedance-2.0-fast/image-to-video",
    ],
)
def test_sibling_image_models_accept_submissions(api, submit, model):
    data = submit({"prompt": "x", "image": DATA_URI}, model=model).json()["data"]
    assert wait_terminal(api, data["id"])["status"] == "completed"


@pytest.mark.parametrize(
    "model", ["bytedance/seedance-2.0/text-to-video", "bytedance/seedance-2.0-fast/text-to-video"]
)
def test_text_to_video_models_need_no_image(api, submit, model):
    data = submit({"prompt": "a city at night"}, model=model).json()["data"]
    assert wait_terminal(api, data["id"])["status"] == "completed"


def test_unknown_model_is_404(submit):
    resp = submit({"prompt": "x", "image": DATA_URI}, model="bytedance/seedance-9/image-to-video")
    assert resp.status_code == 404
    assert resp.json()["code"] == 404 and "not found" in resp.json()["message"]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"image": DATA_URI}, 1400, "prompt"),
        ({"prompt": "x"}, 1400, "image"),
        ({"prompt": "x", "image": "not a url"}, 1401, "image"),
        ({"prompt": "x", "image": DATA_URI, "last_image": "ftp://x/y.png"}, 1401, "last_image"),
        ({"prompt": "x", "image": DATA_URI, "aspect_ratio": "2:1"}, 1401, "aspect_ratio"),
        ({"prompt": "x", "image": DATA_URI, "resolution": "4k"}, 1401, "resolution"),
        ({"prompt": "x", "image": DATA_URI, "duration": 3}, 1401, "duration"),
        ({"prompt": "x", "image": DATA_URI, "duration": 16}, 1401, "duration"),
        ({"prompt": "x", "image": DATA_URI, "duration": "5"}, 1401, "duration"),
        ({"prompt": "x", "image": DATA_URI, "generate_audio": "yes"}, 1401, "generate_audio"),
        ({"prompt": "x", "image": DATA_URI, "enable_web_search": 1}, 1401, "enable_web_search"),
    ],
)
def test_invalid_bodies_are_rejected_with_api_codes_and_nothing_is_created(
    sim, submit, body, code, field
):
    resp = submit(body)
    assert resp.status_code == 400
    payload = resp.json()
    assert payload["code"] == code and payload["data"] is None
    assert field in payload["message"]
    assert sim.stats()["submissions"] == 0


def test_malformed_json_is_400(api):
    resp = api.post(
        f"/api/v3/{I2V}", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400 and resp.json()["code"] == 1401


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "k"}])
def test_wrong_or_missing_key_is_401_everywhere(sim, headers):
    for method, path in [
        ("POST", f"/api/v3/{I2V}"),
        ("GET", "/api/v3/predictions/x/result"),
        ("POST", "/api/v3/media/uploads"),
        ("GET", "/api/v3/webhook/secret"),
        ("GET", "/_sim/stats"),
    ]:
        resp = plain_http.request(method, sim.base_url + path, headers=headers, json={})
        assert resp.status_code == 401, path
        assert resp.json()["code"] == 401
    assert sim.stats()["submissions"] == 0


def test_unreachable_image_url_fails_the_task_with_1402(api, submit, file_server):
    data = submit({"prompt": "x", "image": f"{file_server.url}/missing.png"}).json()["data"]
    result = wait_terminal(api, data["id"])
    assert result["status"] == "failed" and result["code"] == 1402
    assert result["outputs"] == [] and "fetch" in result["error"].lower()


def test_non_image_url_fails_the_task_with_1402(api, submit, file_server):
    file_server.files["/page.html"] = ("text/html", b"<html>not an image</html>")
    data = submit({"prompt": "x", "image": f"{file_server.url}/page.html"}).json()["data"]
    result = wait_terminal(api, data["id"])
    assert result["status"] == "failed" and result["code"] == 1402


def test_non_loopback_image_host_fails_without_network(api, submit):
    data = submit({"prompt": "x", "image": "https://example.com/cat.png"}).json()["data"]
    result = wait_terminal(api, data["id"])
    assert result["status"] == "failed" and result["code"] == 1402


def test_loopback_http_image_is_fetched(api, submit, file_server):
    file_server.files["/cat.png"] = ("image/png", marked_png())
    data = submit({"prompt": "x", "image": f"{file_server.url}/cat.png"}).json()["data"]
    assert wait_terminal(api, data["id"])["status"] == "completed"


def test_sync_mode_returns_the_finished_prediction_in_one_request(sim, submit):
    resp = submit({"prompt": "x", "image": DATA_URI, "enable_sync_mode": True})
    data = resp.json()["data"]
    assert data["status"] == "completed" and len(data["outputs"]) == 1
    assert sim.stats()["polls"] == 0


def test_sync_mode_timeout_answers_processing_with_5004():
    with Simulator(api_key=API_KEY, fast=True, generation_time=3.0, sync_timeout=0.3) as s:
        resp = plain_http.post(
            f"{s.base_url}/api/v3/{I2V}",
            json={"prompt": "x", "image": DATA_URI, "enable_sync_mode": True},
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        data = resp.json()["data"]
        assert resp.status_code == 200 and data["code"] == 5004
        assert data["status"] in ("created", "processing") and data["id"]


def test_stats_count_submissions_per_fingerprint_polls_and_connections(sim, api, submit):
    body = {"prompt": "same", "image": DATA_URI, "duration": 4}
    a = submit(body).json()["data"]["id"]
    submit(body)
    submit({**body, "duration": 5})
    wait_terminal(api, a)
    stats = sim.stats()
    assert stats["submissions"] == 3
    assert sorted(stats["submissions_by_fingerprint"].values()) == [1, 2]
    assert stats["polls"] >= 1
    assert stats["connections_opened"] == 1  # one keep-alive httpx client
    assert stats["requests"] == 3 + stats["polls"]
    sim.reset_stats()
    assert sim.stats()["submissions"] == 0


def test_history_pages_and_filters(api, submit):
    ids = [submit({"prompt": f"p{i}", "image": DATA_URI}).json()["data"]["id"] for i in range(5)]
    t2v = "bytedance/seedance-2.0/text-to-video"
    other = submit({"prompt": "t"}, model=t2v).json()["data"]["id"]
    page1 = api.post("/api/v3/predictions", json={"page": 1, "page_size": 2}).json()["data"]
    page2 = api.post("/api/v3/predictions", json={"page": 2, "page_size": 2}).json()["data"]
    assert page1["total"] == 6
    assert [i["id"] for i in page1["items"]] == [other, ids[4]]  # newest first
    assert [i["id"] for i in page2["items"]] == [ids[3], ids[2]]
    only_t2v = api.post("/api/v3/predictions", json={"model": t2v}).json()["data"]
    assert [i["id"] for i in only_t2v["items"]] == [other]
    future = api.post("/api/v3/predictions", json={"created_after": "2999-01-01T00:00:00Z"}).json()[
        "data"
    ]
    assert future["items"] == []
    wait_terminal(api, ids[0])
    done = api.post("/api/v3/predictions", json={"status": "completed"}).json()["data"]
    assert ids[0] in [i["id"] for i in done["items"]]
    bad = api.post("/api/v3/predictions", json={"page_size": 101})
    assert bad.status_code == 400 and bad.json()["code"] == 1401


def test_unknown_route_is_json_404(api):
    resp = api.get("/api/v3/nothing/here")
    assert resp.status_code in (404, 405) and resp.json()["data"] is None


def test_stop_does_not_wait_for_a_pending_sync_request():
    import threading

    s = Simulator(api_key=API_KEY, fast=True, generation_time=60.0).start()
    errors: list[BaseException] = []

    def call() -> None:
        try:
            plain_http.post(
                f"{s.base_url}/api/v3/{I2V}",
                json={"prompt": "x", "image": DATA_URI, "enable_sync_mode": True},
                headers={"Authorization": f"Bearer {API_KEY}"},
                timeout=30,
            )
        except httpx.HTTPError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.3)
    start = time.monotonic()
    s.stop()
    assert time.monotonic() - start < 10
    caller.join(10)
    assert not caller.is_alive() and errors  # the client saw the connection end
