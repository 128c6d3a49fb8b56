"""Validation of ImageToVideoRequest: every constraint of the product page, named in the error."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_client import (
    ASPECT_RATIOS,
    IMAGE_TO_VIDEO_MODELS,
    RESOLUTIONS,
    ImageToVideoRequest,
    InvalidRequestError,
    Prediction,
    PredictionStatus,
)

URL = "https://example.com/cat.png"


def test_defaults_follow_the_parameter_table() -> None:
    request = ImageToVideoRequest(prompt="a cat", image=URL)
    body = request.to_body({"image": URL})
    assert body == {
        "prompt": "a cat",
        "image": URL,
        "resolution": "720p",
        "duration": 5,
        "enable_web_search": False,
        "generate_audio": True,
    }
    assert request.model == "bytedance/seedance-2.0-mini/image-to-video"


def test_optional_fields_and_extra_params_reach_the_body(png_bytes: bytes) -> None:
    request = ImageToVideoRequest(
        prompt="p",
        image=png_bytes,
        last_image=URL,
        aspect_ratio="21:9",
        resolution="1080p",
        duration=15,
        generate_audio=False,
        extra_params={"camera_fixed": True},
    )
    body = request.to_body({"image": "u1", "last_image": "u2"})
    assert body["last_image"] == "u2"
    assert body["aspect_ratio"] == "21:9"
    assert body["camera_fixed"] is True
    assert body["duration"] == 15


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"prompt": ""}, "prompt", "empty"),
        ({"prompt": "   "}, "prompt", "empty"),
        ({"prompt": 42}, "prompt", "not a string"),
        ({"prompt": None}, "prompt", "not a string"),
        ({"image": None}, "image", "missing"),
        ({"image": ""}, "image", "empty"),
        ({"image": "ftp://x/y.png"}, "image", "unsupported URL scheme"),
        ({"image": "s3://bucket/y.png"}, "image", "unsupported URL scheme"),
        ({"image": "https://"}, "image", "URL without a host"),
        ({"image": "data:text/plain,hi"}, "image", "not an image"),
        ({"image": "/definitely/not/here.png"}, "image", "neither a URL nor an existing file"),
        ({"image": b"not an image at all"}, "image", "not a PNG"),
        ({"image": 12}, "image", "unsupported type"),
        ({"last_image": "nowhere.png"}, "last_image", "neither a URL nor an existing file"),
        ({"duration": 3}, "duration", "out of range"),
        ({"duration": 16}, "duration", "out of range"),
        ({"duration": 5.5}, "duration", "not an integer"),
        ({"duration": "five"}, "duration", "not an integer"),
        ({"duration": True}, "duration", "not an integer"),
        ({"resolution": "4k"}, "resolution", "480p, 720p, 1080p"),
        ({"aspect_ratio": "2:1"}, "aspect_ratio", "16:9"),
        ({"generate_audio": "yes"}, "generate_audio", "not a boolean"),
        ({"enable_web_search": 1}, "enable_web_search", "not a boolean"),
        ({"model": "bytedance/seedance-9/image-to-video"}, "model", "unknown model"),
        ({"extra_params": {"prompt": "again"}}, "extra_params", "duplicates a known parameter"),
        ({"extra_params": {"x": object()}}, "extra_params", "not JSON-serialisable"),
        ({"extra_params": ["x"]}, "extra_params", "mapping"),
    ],
)
def test_bad_input_names_the_field_and_what_is_allowed(
    kwargs: dict, field: str, fragment: str
) -> None:
    args = {"prompt": "a cat", "image": URL, **kwargs}
    with pytest.raises(InvalidRequestError) as info:
        ImageToVideoRequest(**args)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}:")
    assert fragment in str(info.value)
    assert "allowed:" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_a_file_that_is_not_an_image_is_rejected(tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("hello")
    with pytest.raises(InvalidRequestError, match="file is not a PNG"):
        ImageToVideoRequest(prompt="p", image=text)


def test_local_paths_are_accepted_as_str_and_pathlike(png_path: Path) -> None:
    assert ImageToVideoRequest(prompt="p", image=png_path).image == png_path
    assert ImageToVideoRequest(prompt="p", image=str(png_path)).image == str(png_path)


@pytest.mark.parametrize("value", ASPECT_RATIOS)
def test_every_documented_aspect_ratio_is_accepted(value: str) -> None:
    ImageToVideoRequest(prompt="p", image=URL, aspect_ratio=value)


@pytest.mark.parametrize("value", RESOLUTIONS)
def test_every_documented_resolution_is_accepted(value: str) -> None:
    ImageToVideoRequest(prompt="p", image=URL, resolution=value)


@pytest.mark.parametrize("model", IMAGE_TO_VIDEO_MODELS)
def test_every_family_model_is_accepted(model: str) -> None:
    ImageToVideoRequest(prompt="p", image=URL, model=model)


@pytest.mark.parametrize("duration", [4, 15])
def test_duration_bounds_are_inclusive(duration: int) -> None:
    ImageToVideoRequest(prompt="p", image=URL, duration=duration)


def test_repr_shows_bytes_by_length_only(png_bytes: bytes) -> None:
    text = repr(ImageToVideoRequest(prompt="p", image=png_bytes))
    assert f"<{len(png_bytes)} bytes>" in text
    assert "\\x89PNG" not in text


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("created", PredictionStatus.CREATED),
        ("processing", PredictionStatus.PROCESSING),
        ("COMPLETED", PredictionStatus.COMPLETED),
        ("succeeded", PredictionStatus.COMPLETED),
        ("canceled", PredictionStatus.CANCELLED),
        ("warming-up", PredictionStatus.UNKNOWN),
        (None, PredictionStatus.UNKNOWN),
    ],
)
def test_status_parsing(raw: object, status: PredictionStatus) -> None:
    assert PredictionStatus.parse(raw) is status


def test_terminal_and_failure_statuses() -> None:
    in_flight = {"created", "queued", "pending", "starting", "processing", "unknown"}
    failures = {"failed", "cancelled", "timeout", "deleted"}
    for status in PredictionStatus:
        assert status.is_terminal == (status.value not in in_flight)
        assert status.is_failure == (status.value in failures)


def test_prediction_round_trips_through_a_json_dict() -> None:
    import json

    prediction = Prediction(
        id="abc",
        model="m",
        status=PredictionStatus.COMPLETED,
        outputs=["https://cdn/x.mp4"],
        inference_ms=1234,
        has_nsfw_contents=[False],
    )
    data = json.loads(json.dumps(prediction.to_dict()))
    assert data["status"] == "completed"
    assert Prediction.from_dict(data) == prediction
