"""Rendering: sizes, motion choice, camera paths, and a fast-mode MP4 decoded with PyAV."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image

from seedance_simulator.render import (
    CANVAS_MARGIN,
    RenderParams,
    camera_window,
    motion_from_prompt,
    output_size,
    render_key,
    render_mp4,
)


@pytest.mark.parametrize(
    ("resolution", "ratio", "expected"),
    [
        ("480p", "16:9", (854, 480)),
        ("720p", "16:9", (1280, 720)),
        ("1080p", "16:9", (1920, 1080)),
        ("720p", "9:16", (720, 1280)),
        ("720p", "1:1", (720, 720)),
        ("720p", "4:3", (960, 720)),
        ("1080p", "3:4", (1080, 1440)),
        ("1080p", "21:9", (2520, 1080)),
    ],
)
def test_output_size_short_side_and_ratio(resolution, ratio, expected):
    assert (
        output_size(RenderParams(resolution=resolution, aspect_ratio=ratio), (10, 10)) == expected
    )


def test_output_size_follows_the_image_when_ratio_unset_and_is_even():
    w, h = output_size(RenderParams(resolution="480p"), (1001, 333))
    assert h == 480 and w % 2 == 0 and abs(w / h - 1001 / 333) < 0.01


@pytest.mark.parametrize(
    ("prompt", "motion"),
    [
        ("Slow ZOOM in on the face", "zoom_in"),
        ("zoom out to reveal the city", "zoom_out"),
        ("camera pans: pan left across the shelf", "pan_left"),
        ("pan right", "pan_right"),
        ("a tracking shot of a runner", "tracking"),
        ("dolly forward", "tracking"),
        ("a quiet lake", "push_in"),
    ],
)
def test_motion_from_prompt(prompt, motion):
    assert motion_from_prompt(prompt) == motion


def test_camera_paths_move_the_way_they_say():
    assert camera_window("zoom_in", 1)[0] < camera_window("zoom_in", 0)[0]
    assert camera_window("zoom_out", 1)[0] > camera_window("zoom_out", 0)[0]
    assert camera_window("pan_left", 1)[1] < camera_window("pan_left", 0)[1]
    assert camera_window("pan_right", 1)[1] > camera_window("pan_right", 0)[1]
    for motion in ("zoom_in", "zoom_out", "pan_left", "pan_right", "tracking", "push_in"):
        for t in np.linspace(0, 1, 11):
            scale, cx, cy = camera_window(motion, float(t))
            assert 1 / CANVAS_MARGIN * 0.9 <= scale <= 1.0  # never shows beyond the canvas
            assert 0 <= cx <= 1 and 0 <= cy <= 1


def test_render_key_changes_with_inputs():
    p = RenderParams()
    assert render_key(b"a", None, p) == render_key(b"a", None, p)
    assert render_key(b"a", None, p) != render_key(b"b", None, p)
    assert render_key(b"a", None, p) != render_key(b"a", b"c", p)
    assert render_key(b"a", None, p) != render_key(b"a", None, RenderParams(duration=6))


def test_fast_mode_renders_a_valid_tiny_mp4(tmp_path):
    image = Image.new("RGB", (300, 200), (10, 200, 30))
    out = render_mp4(image, RenderParams(fast=True, duration=4), tmp_path / "v.mp4")
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        frames = list(container.decode(video=0))
        assert (video.codec_context.width, video.codec_context.height) == (96, 64)
        assert float(video.average_rate) == 8 and len(frames) == 32
        assert len(container.streams.audio) == 1
        assert float(container.duration) / 1e6 == pytest.approx(4, abs=0.15)
    assert list(tmp_path.iterdir()) == [out]  # no temp file left behind


def test_pan_moves_picture_content(tmp_path):
    gradient = np.tile(np.linspace(0, 255, 400, dtype=np.uint8)[None, :, None], (200, 1, 3))
    image = Image.fromarray(gradient, "RGB")
    params = RenderParams(resolution="480p", duration=4, motion="pan_right", generate_audio=False)
    out = render_mp4(image, params, tmp_path / "pan.mp4")
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert len(container.streams.audio) == 0
    # panning right over a left-to-right gradient brightens the view
    assert frames[-1].mean() > frames[0].mean() + 10
