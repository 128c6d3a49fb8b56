"""Validation of every mode of the family: codes and messages, like the real API's."""

from __future__ import annotations

import pytest

from seedance_simulator.validation import ValidationFailure, VideoInput, validate_body

S, F, M = "bytedance/seedance-2.0/", "bytedance/seedance-2.0-fast/", "bytedance/seedance-2.0-mini/"
T2V, I2V, EXTEND, EDIT = (
    S + "text-to-video",
    M + "image-to-video",
    F + "video-extend",
    S + "video-edit",
)
URL = "http://h/x"


def ok(model: str, **body) -> VideoInput:
    result = validate_body(model, {"prompt": "p", **body})
    assert isinstance(result, VideoInput), result
    return result


def fails(model: str, body: dict) -> ValidationFailure:
    result = validate_body(model, body)
    assert isinstance(result, ValidationFailure), result
    return result


def test_text_to_video_defaults():
    vin = ok(T2V)
    assert vin.mode == "t2v"
    assert (vin.aspect_ratio, vin.resolution, vin.duration) == ("16:9", "720p", 5)
    assert (vin.generate_audio, vin.enable_web_search) == (True, False)
    assert vin.references == ()


@pytest.mark.parametrize(
    ("model", "body", "code", "field", "message"),
    [
        (T2V, {}, 1400, "prompt", "missing required parameter: prompt"),
        (T2V, {"prompt": 3}, 1401, "prompt", "invalid parameter prompt: must be a string"),
        (
            T2V,
            {"prompt": "p", "aspect_ratio": "2:1"},
            1401,
            "aspect_ratio",
            "invalid parameter aspect_ratio='2:1': allowed 16:9, 9:16, 4:3, 3:4, 1:1, 21:9",
        ),
        (
            T2V,
            {"prompt": "p", "resolution": "4k"},
            1401,
            "resolution",
            "invalid parameter resolution='4k': allowed 480p, 720p, 1080p",
        ),
        (
            T2V,
            {"prompt": "p", "duration": 16},
            1401,
            "duration",
            "invalid parameter duration=16: integer 4 ~ 15",
        ),
        (
            T2V,
            {"prompt": "p", "generate_audio": "yes"},
            1401,
            "generate_audio",
            "invalid parameter generate_audio='yes': must be a boolean",
        ),
        (
            T2V,
            {"prompt": "p", "enable_web_search": 1},
            1401,
            "enable_web_search",
            "invalid parameter enable_web_search=1: must be a boolean",
        ),
        (
            T2V,
            {"prompt": "p", "reference_images": URL},
            1401,
            "reference_images",
            "invalid parameter reference_images: must be a list of http(s) URLs or data: URIs",
        ),
        (
            T2V,
            {"prompt": "p", "reference_images": [URL] * 10},
            1401,
            "reference_images",
            "invalid parameter reference_images: at most 9 files, got 10",
        ),
        (
            T2V,
            {"prompt": "p", "reference_images": [URL, "ftp://h/x"]},
            1401,
            "reference_images",
            "invalid parameter reference_images[1]: must be an http(s) URL or a data: URI",
        ),
        (
            T2V,
            {"prompt": "p", "reference_videos": [URL] * 4},
            1401,
            "reference_videos",
            "invalid parameter reference_videos: at most 3 files, got 4",
        ),
        (
            T2V,
            {"prompt": "p", "reference_images": [URL], "reference_audios": [URL] * 4},
            1401,
            "reference_audios",
            "invalid parameter reference_audios: at most 3 files, got 4",
        ),
        (
            T2V,
            {
                "prompt": "p",
                "reference_images": [URL] * 9,
                "reference_videos": [URL] * 3,
                "reference_audios": [URL],
            },
            1401,
            "references",
            "invalid parameter reference_images/reference_videos/reference_audios: "
            "at most 12 reference files in all, got 13",
        ),
        (
            T2V,
            {"prompt": "p", "reference_audios": [URL]},
            1401,
            "reference_audios",
            "invalid parameter reference_audios: audio references need at least one "
            "reference image or video",
        ),
        (I2V, {"prompt": "p"}, 1400, "image", "missing required parameter: image"),
        (
            I2V,
            {"prompt": "p", "image": URL, "last_image": "x"},
            1401,
            "last_image",
            "invalid parameter last_image: must be an http(s) URL or a data: URI",
        ),
        (EXTEND, {"prompt": "p"}, 1400, "video", "missing required parameter: video"),
        (EXTEND, {"video": URL}, 1400, "prompt", "missing required parameter: prompt"),
        (
            EXTEND,
            {"prompt": "p", "video": "/local/file.mp4"},
            1401,
            "video",
            "invalid parameter video: must be an http(s) URL or a data: URI",
        ),
        (
            EXTEND,
            {"prompt": "p", "video": URL, "duration": 3},
            1401,
            "duration",
            "invalid parameter duration=3: integer 4 ~ 15",
        ),
        (
            EXTEND,
            {"prompt": "p", "video": URL, "generate_audio": None},
            1401,
            "generate_audio",
            "invalid parameter generate_audio=None: must be a boolean",
        ),
        (EDIT, {"prompt": "p"}, 1400, "video", "missing required parameter: video"),
        (
            EDIT,
            {"prompt": "p", "video": URL, "duration": 20},
            1401,
            "duration",
            "invalid parameter duration=20: integer 4 ~ 15",
        ),
        (
            EDIT,
            {"prompt": "p", "video": URL, "aspect_ratio": "5:4"},
            1401,
            "aspect_ratio",
            "invalid parameter aspect_ratio='5:4': allowed 16:9, 9:16, 4:3, 3:4, 1:1, 21:9",
        ),
        (
            EDIT,
            {"prompt": "p", "video": URL, "reference_images": [URL] * 10},
            1401,
            "reference_images",
            "invalid parameter reference_images: at most 9 files, got 10",
        ),
        (
            EDIT,
            {"prompt": "p", "video": URL, "reference_audios": [URL] * 4},
            1401,
            "reference_audios",
            "invalid parameter reference_audios: at most 3 files, got 4",
        ),
    ],
)
def test_rules_and_messages(model, body, code, field, message):
    failure = fails(model, body)
    assert (failure.code, failure.field, failure.message) == (code, field, message)


def test_text_to_video_accepts_full_reference_lists():
    vin = ok(
        T2V,
        reference_images=[URL] * 9,
        reference_videos=[URL] * 2,
        reference_audios=[URL],
    )
    assert len(vin.references) == 12
    assert ok(T2V, reference_videos=[URL], reference_audios=[URL]).reference_audios == (URL,)
    assert ok(F + "reference-to-video", reference_images=[URL]).mode == "t2v"


def test_extend_defaults_and_ignored_parameters():
    vin = ok(EXTEND, video=URL, aspect_ratio="nonsense", reference_images=["nonsense"])
    assert vin.mode == "extend" and vin.video == URL
    assert (vin.duration, vin.resolution, vin.generate_audio) == (5, "720p", True)
    assert vin.aspect_ratio is None and vin.references == ()
    assert ok(EXTEND, video=URL, last_image=URL).last_image == URL


def test_edit_defaults_follow_the_input():
    vin = ok(EDIT, video=URL)
    assert vin.mode == "edit" and vin.duration is None and vin.aspect_ratio is None
    # the input video counts as the video an audio reference needs
    assert ok(EDIT, video=URL, reference_audios=[URL] * 3).reference_audios == (URL,) * 3
    assert ok(EDIT, video=URL, reference_videos=["ignored"]).reference_videos == ()
    assert ok(EDIT, video=URL, duration=15, aspect_ratio="1:1").duration == 15


def test_image_to_video_ignores_reference_lists():
    assert ok(I2V, image=URL, reference_images="not even a list").references == ()
