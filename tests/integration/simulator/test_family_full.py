"""Full-size renders of the new modes, decoded: size, fps, frame count, audio, render time."""

from __future__ import annotations

import time

import httpx
import pytest

from seedance_simulator import Simulator
from tests.support import plain_http
from tests.support.media import pil_png, probe_mp4

from .conftest import API_KEY
from .family_support import coloured_mp4, run, upload

S = "bytedance/seedance-2.0/"


@pytest.fixture(scope="module")
def full_api():
    with Simulator(api_key=API_KEY, fast=False, generation_time=0.1) as sim:
        auth = {"Authorization": f"Bearer {API_KEY}"}
        with plain_http.client(base_url=sim.base_url, headers=auth, timeout=60) as client:
            yield client


@pytest.fixture(scope="module")
def clip(full_api):
    return upload(full_api, "clip.mp4", coloured_mp4(2, fps=24, size=(640, 360)), "video/mp4")


def _timed(api: httpx.Client, model: str, body: dict) -> tuple[dict, float]:
    start = time.monotonic()
    result = run(api, model, body)
    elapsed = time.monotonic() - start
    assert result["status"] == "completed", result
    return probe_mp4(plain_http.get(result["outputs"][0], timeout=60).content), elapsed


def test_text_to_video_720p_with_reference(full_api):
    ref = upload(full_api, "ref.png", pil_png((300, 200), (0, 200, 0)), "image/png")
    info, elapsed = _timed(
        full_api, S + "text-to-video", {"prompt": "a bay", "reference_images": [ref]}
    )
    assert (info["width"], info["height"], info["fps"], info["frames"]) == (1280, 720, 24, 120)
    assert info["audio"] is True and info["codec"] == "h264"
    assert elapsed < 12  # about 2 s on 2 idle cores


def test_extend_480p_keeps_the_input_ratio(full_api, clip):
    body = {"prompt": "pan right", "video": clip, "duration": 4, "resolution": "480p"}
    info, elapsed = _timed(full_api, S + "video-extend", body)
    assert (info["width"], info["height"], info["frames"]) == (854, 480, 24 * (2 + 4))
    assert info["duration"] == pytest.approx(6, abs=1 / 24 + 0.05) and info["audio"] is True
    assert elapsed < 12


def test_edit_480p_to_another_ratio(full_api, clip):
    body = {
        "prompt": "grade",
        "video": clip,
        "duration": 4,
        "aspect_ratio": "9:16",
        "resolution": "480p",
    }
    info, elapsed = _timed(full_api, S + "video-edit", body)
    assert (info["width"], info["height"], info["frames"]) == (480, 854, 96)
    assert info["audio"] is False  # a silent input and no reference audio
    assert elapsed < 12
