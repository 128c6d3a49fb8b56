"""Socket values -> request, for every node: bad values are rejected with the field named,
never coerced; references keep socket order; nothing here touches the network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from comfy_nodes.errors import NodeInputError
from comfy_nodes.nodes import build_job
from shared_client import TextToVideoRequest, VideoEditRequest, VideoExtendRequest
from tests.support.comfy import node_values
from tests.support.media import write_mp4

from .conftest import FakeVideo, audio_value


def _values(**overrides: Any) -> dict[str, Any]:
    return node_values(torch.rand(1, 16, 16, 3), "a slow pan", 0, **overrides)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("image", None),
        ("last_image", "not an image"),
        ("duration", 5.5),  # int() would have turned it into 5 silently
        ("duration", "five"),
        ("generate_audio", "no"),  # bool() would have turned it into True
        ("seed", -1),
        ("seed", "7"),
        ("prompt", ""),
    ],
)
def test_bad_values_raise_a_node_input_error_naming_the_field(
    field: str, value: Any, tmp_path: Path
) -> None:
    with pytest.raises(NodeInputError, match=rf"^{field}"):
        build_job("SeedanceImageToVideo", tmp_path, **_values(**{field: value}))


def test_good_values_pass_through_unchanged(tmp_path: Path) -> None:
    job = build_job("SeedanceImageToVideo", tmp_path, **_values(duration=15, seed=2_147_483_647))
    request = job.request
    assert (request.duration, job.seed, request.generate_audio) == (15, 2_147_483_647, True)
    assert request.aspect_ratio is None  # "auto" is not sent: the API adapts to the image


def _t2v(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "prompt": "@Image1 walks through @Video1 while @Audio1 plays",
        "model": "bytedance/seedance-2.0-fast/text-to-video",
        "resolution": "480p",
        "aspect_ratio": "16:9",
        "duration": 4,
        "generate_audio": True,
        "enable_web_search": False,
        "seed": 3,
    }
    values.update(overrides)
    return values


def test_text_to_video_references_follow_socket_order_and_skip_gaps(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    write_mp4(clip, frames=24, fps=8, with_audio=False)
    red, blue = torch.zeros(1, 8, 8, 3), torch.ones(1, 8, 8, 3)
    job = build_job(
        "SeedanceTextToVideo",
        tmp_path,
        **_t2v(
            reference_image_3=blue,
            reference_image_1=red,
            reference_video_2=FakeVideo(clip),
            reference_audio_1=audio_value(1.0),
        ),
    )
    request = job.request
    assert isinstance(request, TextToVideoRequest)
    assert len(request.reference_images) == 2 and request.reference_videos == (str(clip),)
    assert request.reference_images[0] != request.reference_images[1]
    assert request.reference_audios[0][:4] == b"RIFF"
    # socket 1 (red) is @Image1, socket 3 (blue) is @Image2
    red_only = build_job("SeedanceTextToVideo", tmp_path, **_t2v(prompt="x", reference_image_1=red))
    assert red_only.request.reference_images[0] == request.reference_images[0]
    assert job.fields["reference_videos"] and len(job.fields["reference_images"]) == 2


def test_text_to_video_refuses_a_tag_naming_no_reference_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    with pytest.raises(NodeInputError, match=r"^prompt: tag names no reference"):
        build_job("SeedanceTextToVideo", tmp_path, **_t2v(prompt="@Image2 dances"))


def test_audio_reference_alone_is_refused_by_the_catalogue_rule(tmp_path: Path) -> None:
    with pytest.raises(NodeInputError, match=r"^reference_audios"):
        build_job(
            "SeedanceTextToVideo",
            tmp_path,
            **_t2v(prompt="a song", reference_audio_1=audio_value(1.0)),
        )


def test_extend_takes_the_video_file_itself_and_a_bad_video_names_the_field(
    tmp_path: Path,
) -> None:
    clip = tmp_path / "clip.mp4"
    write_mp4(clip, frames=16, fps=8, with_audio=False)
    values = {
        "video": FakeVideo(clip),
        "prompt": "keep walking",
        "model": "bytedance/seedance-2.0-mini/video-extend",
        "resolution": "480p",
        "duration": 4,
        "generate_audio": False,
        "enable_web_search": False,
        "seed": 1,
    }
    job = build_job("SeedanceVideoExtend", tmp_path, **values)
    assert isinstance(job.request, VideoExtendRequest) and job.request.video == str(clip)
    with pytest.raises(NodeInputError, match=r"^video: expected a VIDEO"):
        build_job("SeedanceVideoExtend", tmp_path, **{**values, "video": torch.zeros(1, 4, 4, 3)})


@pytest.mark.parametrize(("duration", "expected"), [("auto", None), ("7", 7)])
def test_edit_duration_auto_means_the_inputs_length(
    tmp_path: Path, duration: str, expected: int | None
) -> None:
    clip = tmp_path / "clip.mp4"
    write_mp4(clip, frames=40, fps=8, with_audio=False)
    job = build_job(
        "SeedanceVideoEdit",
        tmp_path,
        video=FakeVideo(clip),
        prompt="make it black and white",
        model="bytedance/seedance-2.0/video-edit",
        duration=duration,
        aspect_ratio="auto",
        seed=0,
    )
    assert isinstance(job.request, VideoEditRequest)
    assert job.request.duration == expected and job.request.aspect_ratio is None
    assert job.billed_seconds == pytest.approx(expected or 5.0, abs=0.2)
