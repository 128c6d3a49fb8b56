"""Uploads (ticket + presigned PUT, multipart binary), media and output downloads, retention."""

from __future__ import annotations

import time

import httpx

from seedance_simulator import Simulator
from tests.support import plain_http
from tests.support.media import marked_png, probe_mp4

from .conftest import API_KEY, wait_terminal


def test_ticket_then_presigned_put_without_auth_gives_a_download_url(sim, api):
    image = marked_png()
    ticket = api.post(
        "/api/v3/media/uploads",
        json={"filename": "cat.png", "size": len(image), "content_type": "image/png"},
    ).json()
    assert ticket["code"] == 200
    instruction = ticket["data"]["upload"]
    assert instruction["method"] == "PUT" and instruction["headers"] == {
        "Content-Type": "image/png"
    }
    download_url = ticket["data"]["download_url"]
    assert plain_http.get(download_url).status_code == 404  # nothing there before the PUT
    put = plain_http.put(instruction["url"], content=image, headers=instruction["headers"])
    assert put.status_code == 200
    got = plain_http.get(download_url)
    assert got.status_code == 200 and got.content == image
    assert got.headers["content-type"] == "image/png"
    assert sim.stats()["uploads"] == 1


def test_presigned_put_with_unknown_token_is_403(sim):
    assert plain_http.put(f"{sim.base_url}/_storage/forged", content=b"x").status_code == 403


def test_ticket_validation(api):
    assert api.post("/api/v3/media/uploads", json={"size": 3}).json()["code"] == 1400
    too_big = api.post("/api/v3/media/uploads", json={"filename": "a.png", "size": 300 * 2**20})
    assert too_big.status_code == 400 and too_big.json()["code"] == 1401


def test_binary_upload_multipart_and_use_as_image(sim, api):
    image = marked_png((90, 160))
    resp = api.post(
        "/api/v3/media/upload/binary", files={"file": ("tall.png", image, "image/png")}
    ).json()
    assert resp["code"] == 200 and resp["data"]["size"] == len(image)
    url = resp["data"]["download_url"]
    assert plain_http.get(url).content == image
    task = api.post(
        "/api/v3/bytedance/seedance-2.0-mini/image-to-video", json={"prompt": "x", "image": url}
    ).json()["data"]
    result = wait_terminal(api, task["id"])
    assert result["status"] == "completed"
    info = probe_mp4(plain_http.get(result["outputs"][0]).content)
    assert info["height"] > info["width"]  # aspect ratio follows the tall input image


def test_binary_upload_without_file_field_is_1400(api):
    resp = api.post("/api/v3/media/upload/binary", files={"other": ("a", b"x")})
    assert resp.status_code == 400 and resp.json()["code"] == 1400


def _completed_output(api: httpx.Client) -> str:
    image_url = api.post(
        "/api/v3/media/upload/binary", files={"file": ("a.png", marked_png(), "image/png")}
    ).json()["data"]["download_url"]
    task = api.post(
        "/api/v3/bytedance/seedance-2.0-mini/image-to-video",
        json={"prompt": "x", "image": image_url},
    ).json()["data"]
    return wait_terminal(api, task["id"])["outputs"][0]


def test_output_supports_content_length_and_range(sim, api):
    url = _completed_output(api)
    full = plain_http.get(url)
    assert full.status_code == 200
    assert int(full.headers["content-length"]) == len(full.content) > 1000
    assert full.headers["accept-ranges"] == "bytes"
    part = plain_http.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == full.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(full.content)}"
    tail = plain_http.get(url, headers={"Range": f"bytes={len(full.content) - 10}-"})
    assert tail.content == full.content[-10:]
    assert sim.stats()["downloads"] == 3


def test_output_of_an_unfinished_task_is_404(api):
    task = api.post("/api/v3/bytedance/seedance-2.0/text-to-video", json={"prompt": "x"}).json()[
        "data"
    ]
    assert plain_http.get(f"{api.base_url}/outputs/{task['id']}.mp4").status_code == 404


def test_outputs_expire_after_retention():
    with Simulator(api_key=API_KEY, fast=True, generation_time=0.1, retention=0.5) as s:
        auth = {"Authorization": f"Bearer {API_KEY}"}
        with plain_http.client(base_url=s.base_url, headers=auth) as api:
            url = _completed_output(api)
            assert plain_http.get(url).status_code == 200
            assert len(list(s.output_dir.glob("*.mp4"))) == 1
            time.sleep(0.7)
            assert plain_http.get(url).status_code == 410
            deadline = time.monotonic() + 5  # the sweeper runs every max(0.5 s, retention)
            while list(s.output_dir.glob("*.mp4")) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert list(s.output_dir.glob("*.mp4")) == []  # disk space is given back
            assert plain_http.get(url).status_code == 410
