"""Every family request validates before anything is sent; each rule's message is asserted."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_client import (
    InvalidRequestError,
    TextToVideoRequest,
    VideoEditRequest,
    VideoExtendRequest,
)
from tests.support.fuzz import examples
from tests.support.media import container_mp4, make_png, mp3_bytes, wav_bytes

IMG = "https://cdn.example/hero.png"
VID = "https://cdn.example/clip.mp4"
AUD = "https://cdn.example/voice.mp3"


def error(build: Any) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as info:
        build()
    return info.value


def test_text_to_video_defaults_and_body() -> None:
    request = TextToVideoRequest(prompt="a dancer, @Image1", reference_images=[IMG])
    assert request.model == "bytedance/seedance-2.0/text-to-video"
    assert request.reference_images == (IMG,)
    body = request.to_body({"reference_images": [IMG]})
    assert body == {
        "prompt": "a dancer, @Image1",
        "reference_images": [IMG],
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "duration": 5,
        "generate_audio": True,
        "enable_web_search": False,
    }
    assert request.billed_seconds() == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"reference_images": [IMG] * 10},
            "reference_images: too many: '10 items'; allowed: at most 9",
        ),
        (
            {"reference_videos": [VID] * 4},
            "reference_videos: too many: '4 items'; allowed: at most 3",
        ),
        (
            {"reference_audios": [AUD] * 4, "reference_images": [IMG]},
            "reference_audios: too many: '4 items'; allowed: at most 3",
        ),
        (
            {
                "reference_images": [IMG] * 9,
                "reference_videos": [VID] * 3,
                "reference_audios": [AUD],
            },
            "references: too many: '13 files'; allowed: at most 12 reference files in all",
        ),
        (
            {"reference_audios": [AUD]},
            "reference_audios: audio alone: '1 file(s)'; allowed: audio references together "
            "with at least one reference image or video",
        ),
        ({"reference_images": IMG}, "reference_images: not a list:"),
        ({"aspect_ratio": "2:1"}, "aspect_ratio: invalid value '2:1'; allowed: 16:9, 9:16"),
        ({"resolution": "4k"}, "resolution: invalid value '4k'; allowed: 480p, 720p, 1080p"),
        ({"duration": 16}, "duration: out of range: 16; allowed: an integer number of seconds"),
        ({"generate_audio": "yes"}, "generate_audio: not a boolean: 'yes'; allowed: True or False"),
        (
            {"model": "bytedance/seedance-2.0/image-to-video"},
            "model: a image-to-video model, not text-to-video:",
        ),
        ({"model": "acme/video/t2v"}, "model: unknown model 'acme/video/t2v'"),
        ({"extra_params": {"duration": 8}}, "extra_params: duplicates a known parameter"),
    ],
)
def test_text_to_video_rules(kwargs: dict[str, Any], message: str) -> None:
    assert str(error(lambda: TextToVideoRequest(prompt="x", **kwargs))).startswith(message)


def test_prompt_tags_must_name_existing_references() -> None:
    err = error(lambda: TextToVideoRequest(prompt="@Image1 meets @Image3", reference_images=[IMG]))
    assert str(err) == "prompt: tag names no reference: '@Image3'; allowed: @Image1 to @Image1"
    err = error(lambda: TextToVideoRequest(prompt="voice of @audio1", reference_images=[IMG]))
    assert "no @Audio tags (the request has no audio references)" in str(err)
    TextToVideoRequest(prompt="@Image2 and @Video1", reference_images=[IMG, IMG],
                       reference_videos=[VID])  # fmt: skip


def test_list_items_are_named_with_their_index(tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    err = error(lambda: TextToVideoRequest(prompt="x", reference_images=[IMG, text]))
    assert err.field == "reference_images[1]"
    assert "file is not a PNG/JPEG/WebP/GIF/BMP image" in str(err)
    err = error(lambda: TextToVideoRequest(prompt="x", reference_videos=[make_png()]))
    assert err.field == "reference_videos[0]" and "bytes are not an MP4/MOV video" in str(err)
    err = error(
        lambda: TextToVideoRequest(prompt="x", reference_images=[IMG], reference_audios=[VID, 7])
    )
    assert err.field == "reference_audios[1]" and "unsupported type" in str(err)


def test_reference_seconds_are_read_from_local_containers() -> None:
    err = error(
        lambda: TextToVideoRequest(
            prompt="x", reference_videos=[container_mp4(9), container_mp4(7.5)]
        )
    )
    assert str(err).startswith(
        "reference_videos: too long: '16.5 s in all'; allowed: 2 to 15 seconds"
    )
    err = error(lambda: TextToVideoRequest(prompt="x", reference_videos=[container_mp4(1.5)]))
    assert str(err).startswith("reference_videos: too short: '1.5 s in all'")
    err = error(
        lambda: TextToVideoRequest(
            prompt="x", reference_images=[IMG], reference_audios=[wav_bytes(9), mp3_bytes(7)]
        )
    )
    assert str(err).startswith("reference_audios: too long: '16.0 s in all'")
    # a URL's length is the server's to judge: one local 14 s clip plus a URL passes
    TextToVideoRequest(prompt="x", reference_videos=[container_mp4(14), VID])


def test_reference_file_types_and_sizes(tmp_path: Path) -> None:
    gif = b"GIF89a" + bytes(32)
    err = error(lambda: TextToVideoRequest(prompt="x", reference_images=[gif]))
    assert err.field == "reference_images[0]" and "image/gif" in str(err)
    big = tmp_path / "big.wav"
    big.write_bytes(wav_bytes(0.5) + bytes(16 * 1024 * 1024))
    err = error(
        lambda: TextToVideoRequest(prompt="x", reference_images=[IMG], reference_audios=[big])
    )
    assert str(err).startswith("reference_audios[0]: too large:") and "at most 15 MB" in str(err)


def test_open_binary_files_are_accepted_and_left_readable() -> None:
    handle = io.BytesIO(b"xx" + container_mp4(5))
    handle.seek(2)
    TextToVideoRequest(prompt="x", reference_videos=[handle])
    assert handle.tell() == 2  # probing did not move the caller's file


def test_unknown_family_paths_are_left_to_the_server() -> None:
    request = TextToVideoRequest(
        prompt="x", model="bytedance/seedance-2.0-pro/text-to-video", resolution="4k",
        duration=30, reference_images=[IMG] * 20,
    )  # fmt: skip
    assert request.spec is None
    with pytest.raises(InvalidRequestError):  # types are still checked
        TextToVideoRequest(prompt="x", model="bytedance/seedance-2.0-pro/t2v", duration="5")


def test_extend_request() -> None:
    request = VideoExtendRequest(prompt="she runs on", video=container_mp4(5), duration=6)
    assert request.model == "bytedance/seedance-2.0/video-extend"
    assert request.billed_seconds() == 6  # only the new seconds
    assert request.to_body({"video": VID})["video"] == VID
    assert error(lambda: VideoExtendRequest(prompt="x", video=make_png())).field == "video"
    assert error(lambda: VideoExtendRequest(prompt="x", video=None)).field == "video"
    err = error(lambda: VideoExtendRequest(prompt="x", video=VID, duration=3))
    assert str(err).startswith("duration: out of range: 3")
    err = error(lambda: VideoExtendRequest(prompt="x", video=VID, last_image=container_mp4(1)))
    assert err.field == "last_image"


def test_edit_request() -> None:
    request = VideoEditRequest(prompt="make it night, voice @Audio1", video=container_mp4(20),
                               reference_audios=[wav_bytes(3)])  # fmt: skip
    assert request.billed_seconds() == 15  # the input is trimmed to 15 s
    assert request.to_body({"video": VID, "reference_audios": [AUD]}) == {
        "prompt": "make it night, voice @Audio1",
        "video": VID,
        "reference_audios": [AUD],
    }
    assert VideoEditRequest(prompt="x", video=container_mp4(6.5)).billed_seconds() == 6.5
    assert VideoEditRequest(prompt="x", video=VID).billed_seconds() == 15  # unknown: at most
    assert VideoEditRequest(prompt="x", video=VID, duration=8).billed_seconds() == 8
    err = error(lambda: VideoEditRequest(prompt="x", video=VID, aspect_ratio="5:4"))
    assert err.field == "aspect_ratio"
    # the input video counts: audio references need no other image or video
    VideoEditRequest(prompt="x", video=VID, reference_audios=[AUD])


_sources = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=12),
    st.sampled_from([IMG, VID, AUD, "data:image/png;base64,AA", "ftp://x/y", ""]),
    st.binary(max_size=24),
    st.sampled_from([make_png(), container_mp4(3), wav_bytes(1), mp3_bytes(1)]),
)
_values = st.one_of(st.none(), st.booleans(), st.integers(-2, 20), st.text(max_size=6),
                    st.sampled_from(["480p", "720p", "1080p", "16:9", "9:16"]))  # fmt: skip


@settings(max_examples=examples(300), deadline=None)
@given(
    kind=st.sampled_from([TextToVideoRequest, VideoExtendRequest, VideoEditRequest]),
    prompt=st.one_of(st.text(max_size=20), st.none(), st.sampled_from(["@Image2", "@Video1"])),
    media=st.lists(_sources, max_size=4),
    values=st.dictionaries(
        st.sampled_from(["duration", "resolution", "aspect_ratio", "generate_audio"]), _values
    ),
    model=st.sampled_from(
        [
            None,
            "bytedance/seedance-2.0/text-to-video",
            "x/y/z",
            "bytedance/seedance-2.0-fast/video-extend",
        ]
    ),
)
def test_any_input_validates_or_raises_invalid_request_error(
    kind: Any, prompt: Any, media: list[Any], values: dict[str, Any], model: Any
) -> None:
    kwargs: dict[str, Any] = {"prompt": prompt}
    if kind is TextToVideoRequest:
        kwargs.update(reference_images=media[:2], reference_videos=media[2:3],
                      reference_audios=media[3:])  # fmt: skip
    else:
        kwargs["video"] = media[0] if media else None
        if kind is VideoExtendRequest:
            values.pop("aspect_ratio", None)
        else:
            values.pop("resolution", None)
            values.pop("generate_audio", None)
    if kind is VideoEditRequest and values.get("duration") is None:
        values.pop("duration", None)
    if model is not None:
        kwargs["model"] = model
    # Anything else (TypeError, KeyError, ...) escapes and fails the test.
    with contextlib.suppress(InvalidRequestError):
        kind(**kwargs, **values)
