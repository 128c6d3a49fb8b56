"""The simulator's own catalogue and price formula (a copy of the client's table)."""

from __future__ import annotations

import pytest

from seedance_simulator.catalogue import (
    CATALOGUE,
    RESOLUTION_FACTORS,
    TIER_RATES,
    model_spec,
    paths_for,
    run_price,
)
from seedance_simulator.jobs import billed_seconds
from seedance_simulator.validation import VideoInput, validate_body

S, F, M = "bytedance/seedance-2.0/", "bytedance/seedance-2.0-fast/", "bytedance/seedance-2.0-mini/"
ROWS = [
    (S + "text-to-video", "t2v", "standard", 0.24),
    (S + "text-to-video-fast", "t2v", "standard", 0.24),
    (S + "text-to-video-turbo", "t2v", "standard", 0.24),
    (S + "image-to-video", "i2v", "standard", 0.24),
    (S + "video-extend", "extend", "standard", 0.24),
    (S + "video-edit", "edit", "standard", 0.24),
    (F + "text-to-video", "t2v", "fast", 0.16),
    (F + "text-to-video-turbo", "t2v", "fast", 0.12),
    (F + "reference-to-video", "t2v", "fast", 0.16),
    (F + "image-to-video", "i2v", "fast", 0.16),
    (F + "video-extend", "extend", "fast", 0.16),
    (M + "image-to-video", "i2v", "mini", 0.12),
    (M + "video-extend", "extend", "mini", 0.12),
    (M + "text-to-video", "t2v", "mini", 0.12),
    (M + "text-to-video-turbo", "t2v", "mini", 0.12),
]


def test_the_table_is_exactly_the_family():
    assert [(r.path, r.mode, r.tier, r.rate) for r in CATALOGUE.values()] == ROWS
    assert TIER_RATES == {"standard": 0.24, "fast": 0.16, "mini": 0.12}
    assert RESOLUTION_FACTORS == {"480p": 0.465, "720p": 1.0, "1080p": 2.259}
    assert model_spec("bytedance/seedance-2.0/nothing") is None
    assert paths_for("edit") == (S + "video-edit",)
    assert len(paths_for("t2v")) == 8 and len(paths_for("i2v")) == len(paths_for("extend")) == 3


@pytest.mark.parametrize(
    ("rate", "resolution", "seconds", "price"),
    [
        (0.24, "720p", 5, 1.2),  # standard: about $1.20 per 5 s
        (0.16, "720p", 5, 0.8),  # fast: $0.80 per 5 s
        (0.12, "720p", 5, 0.6),  # mini / fast turbo: $0.60 per 5 s
        (0.24, "480p", 5, 0.558),
        (0.24, "1080p", 15, 8.1324),  # 0.24 x 2.259 x 15 = 8.1324
        (0.16, "1080p", 7, 2.5301),  # 2.53008 rounds to 4 places
        (0.12, "480p", 4, 0.2232),
        (0.24, "720p", 3.0417, 0.73),  # an edit input's probed length
    ],
)
def test_price_formula(rate, resolution, seconds, price):
    assert run_price(rate, resolution, seconds) == price


def test_every_row_prices_with_its_rate():
    for path, _, _, rate in ROWS:
        spec = CATALOGUE[path]
        for resolution, factor in RESOLUTION_FACTORS.items():
            assert spec.price(resolution, 6) == round(rate * factor * 6, 4)


def _vin(model: str, **body) -> VideoInput:
    vin = validate_body(model, {"prompt": "p", **body})
    assert isinstance(vin, VideoInput), vin
    return vin


def test_billed_seconds_per_mode():
    assert billed_seconds(_vin(S + "text-to-video", duration=9), None) == 9
    assert billed_seconds(_vin(S + "image-to-video", image="http://h/i"), None) == 5
    extend = _vin(S + "video-extend", video="http://h/v.mp4", duration=6)
    assert billed_seconds(extend, 12.0) == 6  # only the new seconds
    edit = _vin(S + "video-edit", video="http://h/v.mp4")
    assert billed_seconds(edit, 7.5) == 7.5  # the input's length
    assert billed_seconds(edit, 20.0) == 15  # capped
    assert billed_seconds(edit, None) == 15  # unknown: the cap
    timed = _vin(S + "video-edit", video="http://h/v.mp4", duration=4)
    assert billed_seconds(timed, 12.0) == 4


def test_references_do_not_change_the_price():
    vin = _vin(S + "text-to-video", reference_images=["http://h/a.png"] * 9)
    assert billed_seconds(vin, None) == 5
