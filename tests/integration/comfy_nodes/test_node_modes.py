"""The new nodes end to end against the simulator: text-to-video with references, extend
(from a file and from another node's output), edit; the JSON output and the quoted price."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

from comfy_nodes.nodes import V1_CLASSES, build_job, make_v3_nodes
from comfy_nodes.runner import generate_video
from comfy_nodes.settings import load_settings
from seedance_simulator import Simulator
from shared_client import model_spec
from tests.support.media import count_frames, probe_mp4, write_mp4

from .conftest import RecordingHost

T2V_MODEL = "bytedance/seedance-2.0-fast/text-to-video"


@pytest.fixture(scope="module")
def nodes(fake_latest: ModuleType) -> dict[str, type]:
    return make_v3_nodes(fake_latest)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "loaded.mp4"  # what LoadVideo points at: 3 s, with sound
    write_mp4(path, frames=24, fps=8, with_audio=True)
    return path


def _audio(seconds: float, rate: int = 8000) -> dict[str, Any]:
    t = torch.arange(int(seconds * rate), dtype=torch.float32) / rate
    return {
        "waveform": (0.3 * torch.sin(2 * torch.pi * 220 * t))[None, None, :],
        "sample_rate": rate,
    }


def _t2v(seed: int, **refs: Any) -> dict[str, Any]:
    return {
        "prompt": "@Image1 and @Image2 on a pier, camera pans left, @Audio1 plays",
        "model": T2V_MODEL,
        "resolution": "480p",
        "aspect_ratio": "16:9",
        "duration": 4,
        "generate_audio": True,
        "enable_web_search": False,
        "seed": seed,
        **refs,
    }


async def test_text_to_video_with_references_uploads_each_distinct_file_once(
    nodes: dict[str, type],
    fake_latest: ModuleType,
    node_env: Path,
    simulator: Simulator,
    start_image: torch.Tensor,
    clip: Path,
) -> None:
    video = fake_latest.InputImpl.VideoFromFile(str(clip))
    values = _t2v(
        1,
        reference_image_1=start_image,
        reference_image_2=start_image.clone(),  # the same picture twice: one upload
        reference_video_1=video,
        reference_audio_1=_audio(1.0),
    )
    output = await nodes["SeedanceTextToVideo"].execute(**values)
    result, url, info = output.args
    stats = simulator.stats()
    assert (stats["submissions"], stats["uploads"]) == (1, 3)  # image, video, audio
    path = Path(result.get_stream_source())
    assert count_frames(path) > 0 and path.parent == node_env
    details = json.loads(info)
    spec = model_spec(T2V_MODEL)
    assert spec is not None
    assert details == {
        "prediction_id": details["prediction_id"],
        "model": T2V_MODEL,
        "seconds": 4.0,
        "price_usd": pytest.approx(spec.price("480p", 4)),
        "price_source": "api",
        "currency": "USD",
        "video_url": url,
        "new_charge": True,
    }
    assert clip.read_bytes()[4:8] == b"ftyp"  # the loaded file was sent as is, not re-encoded

    again = await nodes["SeedanceTextToVideo"].execute(**values)  # a restart-proof re-queue
    assert json.loads(again.args[2])["new_charge"] is False
    assert simulator.stats()["submissions"] == 1


async def test_extend_continues_a_loaded_video_and_another_nodes_output(
    nodes: dict[str, type],
    fake_latest: ModuleType,
    node_env: Path,
    simulator: Simulator,
    clip: Path,
) -> None:
    video_from_file = fake_latest.InputImpl.VideoFromFile
    extend = {
        "prompt": "the camera keeps moving forward",
        "model": "bytedance/seedance-2.0-mini/video-extend",
        "resolution": "480p",
        "duration": 4,
        "generate_audio": False,
        "enable_web_search": False,
        "seed": 2,
    }
    loaded = await nodes["SeedanceVideoExtend"].execute(video=video_from_file(str(clip)), **extend)
    loaded_info = probe_mp4(loaded.args[0].get_stream_source())
    assert loaded_info["duration"] == pytest.approx(3 + 4, abs=0.5)  # input + new seconds
    assert json.loads(loaded.args[2])["seconds"] == 4.0  # only the new seconds are billed

    first = await nodes["SeedanceTextToVideo"].execute(**_t2v(3, prompt="a pier at dawn"))
    chained = await nodes["SeedanceVideoExtend"].execute(video=first.args[0], **extend)
    original = probe_mp4(first.args[0].get_stream_source())["duration"]
    assert probe_mp4(chained.args[0].get_stream_source())["duration"] == pytest.approx(
        original + 4, abs=0.5
    )
    stats = simulator.stats()
    assert (stats["submissions"], stats["uploads"]) == (3, 2)  # two videos uploaded, once each


async def test_edit_with_a_reference_reports_the_pricing_apis_figure(
    node_env: Path,
    simulator: Simulator,
    start_image: torch.Tensor,
    clip: Path,
    fake_latest: ModuleType,
) -> None:
    job = build_job(
        "SeedanceVideoEdit",
        node_env.parent,
        video=fake_latest.InputImpl.VideoFromFile(str(clip)),
        prompt="black and white, film grain, in the style of @Image1",
        model="bytedance/seedance-2.0/video-edit",
        duration="auto",
        aspect_ratio="auto",
        seed=4,
        reference_image_1=start_image,
    )
    host = RecordingHost()
    result = await generate_video(job, load_settings(), host)
    assert count_frames(result.video_path) > 0
    assert result.cost_source == "api" and result.seconds == pytest.approx(3.0, abs=0.1)
    price = f"Price: ${result.cost_usd:.4f} USD (pricing API)"
    assert any(price in text for text in host.texts), host.texts[-1]
    assert any("Elapsed:" in t and "Status:" in t and price in t for t in host.texts)
    assert simulator.stats()["submissions"] == 1


def test_v1_fallback_of_a_new_node_returns_frames_audio_fps_url_and_info(
    node_env: Path, simulator: Simulator, clip: Path, fake_latest: ModuleType
) -> None:
    frames, audio, fps, url, info = V1_CLASSES["SeedanceVideoExtend"]().generate(
        unique_id="5",
        video=fake_latest.InputImpl.VideoFromFile(str(clip)),
        prompt="continue",
        model="bytedance/seedance-2.0-fast/video-extend",
        resolution="480p",
        duration=4,
        generate_audio=True,
        enable_web_search=False,
        seed=9,
    )
    assert frames.ndim == 4 and audio["sample_rate"] > 0 and fps > 0
    assert json.loads(info)["video_url"] == url
