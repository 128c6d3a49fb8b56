"""The catalogue is data: every row is well formed, defaults exist, prices follow one formula."""

from __future__ import annotations

import pytest

from shared_client import (
    DEFAULT_MODEL,
    IMAGE_TO_VIDEO_MODELS,
    MODELS,
    default_model,
    is_family_path,
    model_spec,
    models_for,
)
from shared_client.catalogue import RESOLUTION_PRICE_FACTORS

MODES = ("text-to-video", "image-to-video", "video-extend", "video-edit")


def test_every_row_is_a_family_path_with_a_known_mode_and_tier() -> None:
    assert len(MODELS) >= 15
    for path, spec in MODELS.items():
        assert spec.path == path and is_family_path(path)
        assert spec.mode in MODES and spec.tier in ("standard", "fast", "mini")
        assert spec.usd_per_second > 0
        assert spec.durations == (4, 15)
        assert set(spec.resolutions) == set(RESOLUTION_PRICE_FACTORS)
        # references only where the API documents them: text-to-video and edit
        assert (spec.references is not None) == (spec.mode in ("text-to-video", "video-edit"))


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_has_a_default_row_of_that_mode(mode: str) -> None:
    spec = model_spec(default_model(mode))  # type: ignore[arg-type]
    assert spec is not None and spec.mode == mode
    assert default_model(mode) in models_for(mode)  # type: ignore[arg-type]


def test_the_image_to_video_list_keeps_mini_first_and_knows_every_tier() -> None:
    assert IMAGE_TO_VIDEO_MODELS[0] == DEFAULT_MODEL == "bytedance/seedance-2.0-mini/image-to-video"
    assert {model_spec(p).tier for p in IMAGE_TO_VIDEO_MODELS} == {"standard", "fast", "mini"}


@pytest.mark.parametrize(
    ("path", "resolution", "seconds", "usd"),
    [
        ("bytedance/seedance-2.0/text-to-video", "720p", 5, 1.2),  # about $1.20 per 5 s
        ("bytedance/seedance-2.0-fast/image-to-video", "720p", 5, 0.8),  # fast $0.80
        ("bytedance/seedance-2.0-mini/image-to-video", "720p", 5, 0.6),  # half of standard
        ("bytedance/seedance-2.0-fast/text-to-video-turbo", "720p", 5, 0.6),  # from $0.60
        ("bytedance/seedance-2.0/video-extend", "1080p", 10, 5.4216),
        ("bytedance/seedance-2.0-mini/text-to-video", "480p", 4, 0.2232),
    ],
)
def test_offline_prices_follow_rate_times_resolution_times_seconds(
    path: str, resolution: str, seconds: int, usd: float
) -> None:
    assert model_spec(path).price(resolution, seconds) == pytest.approx(usd)


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("bytedance/seedance-2.0/text-to-video", True),
        ("bytedance/seedance-2.0-fast/some-new-mode", True),
        ("bytedance/seedance-2.0-pro/image-to-video", True),
        ("bytedance/seedance-1.0/image-to-video", False),
        ("bytedance/seedance-2.0", False),
        ("bytedance/seedance-2.0/a/b", False),
        ("openai/sora/text-to-video", False),
        (None, False),
    ],
)
def test_family_paths_are_recognised_without_being_catalogued(path: object, family: bool) -> None:
    assert is_family_path(path) is family


def test_unconfirmed_or_conflicting_rows_say_why() -> None:
    for path in (
        "bytedance/seedance-2.0-fast/reference-to-video",
        "bytedance/seedance-2.0-mini/text-to-video",
        "bytedance/seedance-2.0-mini/image-to-video",
    ):
        assert model_spec(path).note
