"""Server-side validation follows the product page's parameter table."""

from __future__ import annotations

import pytest

from seedance_simulator.validation import (
    ASPECT_RATIOS,
    MODELS,
    ValidationFailure,
    VideoInput,
    validate_body,
)

I2V = "bytedance/seedance-2.0-mini/image-to-video"
T2V = "bytedance/seedance-2.0/text-to-video"


def test_defaults_follow_the_table():
    vin = validate_body(I2V, {"prompt": "p", "image": "https://x/y.png"})
    assert isinstance(vin, VideoInput)
    assert (vin.resolution, vin.duration, vin.generate_audio, vin.enable_web_search) == (
        "720p",
        5,
        True,
        False,
    )
    assert vin.aspect_ratio is None and vin.last_image is None


@pytest.mark.parametrize("ratio", ASPECT_RATIOS)
def test_every_documented_ratio_is_accepted(ratio):
    assert isinstance(
        validate_body(I2V, {"prompt": "p", "image": "http://h/i", "aspect_ratio": ratio}),
        VideoInput,
    )


@pytest.mark.parametrize("duration", [4, 15])
def test_duration_bounds_are_inclusive(duration):
    body = {"prompt": "p", "image": "http://h/i", "duration": duration}
    assert isinstance(validate_body(I2V, body), VideoInput)


@pytest.mark.parametrize("duration", [3, 16, 5.0, True, None])
def test_duration_outside_or_wrong_type_is_1401(duration):
    result = validate_body(I2V, {"prompt": "p", "image": "http://h/i", "duration": duration})
    assert isinstance(result, ValidationFailure)
    assert (result.code, result.field) == (1401, "duration")
    assert "4 ~ 15" in result.message


def test_whitespace_prompt_is_missing():
    result = validate_body(I2V, {"prompt": "   ", "image": "http://h/i"})
    assert isinstance(result, ValidationFailure) and (result.code, result.field) == (1400, "prompt")


def test_text_to_video_needs_no_image_but_checks_a_given_one():
    assert isinstance(validate_body(T2V, {"prompt": "p"}), VideoInput)
    bad = validate_body(T2V, {"prompt": "p", "image": "file:///etc/passwd"})
    assert isinstance(bad, ValidationFailure) and bad.code == 1401


def test_non_object_body_is_invalid():
    result = validate_body(I2V, ["prompt"])
    assert isinstance(result, ValidationFailure) and result.code == 1401


def test_model_list_is_the_seedance_family():
    assert I2V in MODELS and len(MODELS) == 5
