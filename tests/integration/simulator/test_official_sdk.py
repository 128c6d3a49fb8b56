"""The official `wavespeed` SDK (PyPI 2.0.5), unchanged, cannot tell the simulator apart."""

from __future__ import annotations

import pytest

from tests.support import plain_http
from tests.support.media import marked_png, probe_mp4

from .conftest import API_KEY, I2V

wavespeed = pytest.importorskip("wavespeed")


@pytest.fixture
def sdk(sim):
    return wavespeed.Client(api_key=API_KEY, base_url=sim.base_url, retry_interval=0.05)


@pytest.fixture
def uploaded_image(sdk, tmp_path):
    path = tmp_path / "start.png"
    path.write_bytes(marked_png((200, 100)))
    return sdk.upload(str(path))


def test_sdk_upload_returns_a_url_serving_the_file(sim, sdk, tmp_path):
    path = tmp_path / "frame.png"
    path.write_bytes(marked_png())
    url = sdk.upload(str(path))
    assert url.startswith(sim.base_url)
    assert plain_http.get(url).content == path.read_bytes()
    assert sim.stats()["uploads"] == 1


def test_sdk_upload_of_a_file_object(sdk, tmp_path):
    path = tmp_path / "obj.png"
    path.write_bytes(marked_png())
    with path.open("rb") as fh:
        url = sdk.upload(fh)
    assert plain_http.get(url).content == path.read_bytes()


def test_sdk_run_on_seedance_returns_a_playable_video(sim, sdk, uploaded_image):
    output = sdk.run(
        I2V,
        {"prompt": "pan left over the hills", "image": uploaded_image, "duration": 4},
        poll_interval=0.05,
    )
    assert list(output) == ["outputs"] and len(output["outputs"]) == 1
    info = probe_mp4(plain_http.get(output["outputs"][0]).content)
    assert info["width"] == 128 and info["height"] == 64  # fast mode: 64 px short side, 2:1
    assert info["duration"] == pytest.approx(4, abs=0.2)
    assert sim.stats()["submissions"] == 1


def test_sdk_sync_mode(sdk, uploaded_image):
    output = sdk.run(I2V, {"prompt": "x", "image": uploaded_image}, enable_sync_mode=True)
    assert len(output["outputs"]) == 1


def test_sdk_failed_generation_raises_its_task_failed_error(sim, sdk, uploaded_image):
    sim.set_faults(failed_generation=1.0, failure_codes=(1200,))
    with pytest.raises(
        RuntimeError, match=r"Prediction failed \(task_id: [0-9a-f]+\): .*moderation"
    ):
        sdk.run(I2V, {"prompt": "x", "image": uploaded_image}, poll_interval=0.05)
    result = sdk.run_no_throw(I2V, {"prompt": "x", "image": uploaded_image}, poll_interval=0.05)
    assert result["status"] == "failed" and result["outputs"] is None
    assert result["task_id"] != "unknown"


def test_sdk_sees_validation_errors_as_http_400(sdk, uploaded_image):
    with pytest.raises(RuntimeError, match=r"HTTP 400.*duration"):
        sdk.run(I2V, {"prompt": "x", "image": uploaded_image, "duration": 60})


def test_sdk_wrong_key_is_http_401(sim, uploaded_image):
    bad = wavespeed.Client(api_key="nope", base_url=sim.base_url)
    with pytest.raises(RuntimeError, match="HTTP 401"):
        bad.run(I2V, {"prompt": "x", "image": uploaded_image})
    assert sim.stats()["submissions"] == 0


def test_sdk_retries_result_polls_through_injected_503s(sim, sdk, uploaded_image):
    # seed 8: at most 3 faults in a row over 300 draws, below the SDK's 5 retries
    sim.set_faults(rate_503=0.3, scopes=("result",), seed=8)
    output = sdk.run(I2V, {"prompt": "x", "image": uploaded_image}, poll_interval=0.05)
    assert len(output["outputs"]) == 1
    assert sim.stats()["faults_injected"].get("503", 0) >= 1
    assert sim.stats()["submissions"] == 1


def test_sdk_ambiguous_submit_is_not_retried(sim, sdk, uploaded_image):
    sim.set_faults(ambiguous_submit=1.0)
    with pytest.raises(RuntimeError, match="HTTP 502"):
        sdk.run(I2V, {"prompt": "x", "image": uploaded_image}, max_retries=2)
    assert sim.stats()["submissions"] == 1
