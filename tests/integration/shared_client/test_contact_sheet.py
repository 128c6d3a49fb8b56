"""The core's contact sheet: a grid of one video's frames (``make demo``) and a story's
one-frame-per-shot row, on real MP4s decoded with PyAV.

``write_mp4`` paints frame ``i`` flat grey at ``(i * 20) % 256``, so each tile's
brightness says which frame it shows.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.support.media import write_mp4

pytest.importorskip("av")
Image = pytest.importorskip("PIL.Image")

from shared_client import contact_sheet  # noqa: E402

REPO = Path(__file__).resolve().parents[3]


def tile_levels(sheet: Path, columns: int, rows: int, tile: tuple[int, int]) -> list[int]:
    """The grey level at the centre of each tile, row by row (8 px margins)."""
    width, height = tile
    with Image.open(sheet) as image:
        rgb = image.convert("RGB")
        return [
            rgb.getpixel((8 + c * (width + 8) + width // 2, 8 + r * (height + 8) + height // 2))[0]
            for r in range(rows)
            for c in range(columns)
        ]


def test_a_grid_of_one_video_shows_evenly_spaced_frames_in_order(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    write_mp4(video, frames=12, fps=12, with_audio=False, size=(64, 48))
    sheet = contact_sheet(
        [video], tmp_path / "clip-contact-sheet.png", width=64, frames=4, columns=2
    )
    with Image.open(sheet) as image:
        assert image.size == (8 + 2 * (64 + 8), 8 + 2 * (48 + 8))
    # the centres of 4 equal parts of 12 frames: frames 1, 4, 7, 10
    levels = tile_levels(sheet, columns=2, rows=2, tile=(64, 48))
    assert levels == pytest.approx([20, 80, 140, 200], abs=6)


def test_the_default_is_one_middle_frame_per_video_in_one_row(tmp_path: Path) -> None:
    first, second = tmp_path / "a.mp4", tmp_path / "b.mp4"
    write_mp4(first, frames=6, fps=12, with_audio=False, size=(64, 48))
    write_mp4(second, frames=10, fps=12, with_audio=False, size=(64, 48))
    sheet = contact_sheet([first, second], tmp_path / "story.png", width=64)
    with Image.open(sheet) as image:
        assert image.size == (8 + 2 * (64 + 8), 48 + 16)
    assert tile_levels(sheet, columns=2, rows=1, tile=(64, 48)) == pytest.approx([60, 100], abs=6)


def test_bad_layout_values_are_refused(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    write_mp4(video, frames=4, fps=12, with_audio=False)
    with pytest.raises(ValueError, match="frames"):
        contact_sheet([video], tmp_path / "x.png", frames=0)


def test_the_demo_writes_and_prints_a_sheet_beside_each_video(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("seedance_demo", REPO / "scripts" / "demo.py")
    assert spec and spec.loader
    demo = importlib.util.module_from_spec(spec)
    sys.modules["seedance_demo"] = demo
    spec.loader.exec_module(demo)
    videos = []
    for name in ("sneaker", "bottle"):
        videos.append(tmp_path / "2026-11-27" / f"{name}.mp4")
        videos[-1].parent.mkdir(exist_ok=True)
        write_mp4(videos[-1], frames=24, fps=12, with_audio=False, size=(96, 54))
    pairs = demo.contact_sheets(videos)
    demo.print_results(pairs)
    printed = capsys.readouterr().out
    for video, sheet in pairs:
        assert sheet == video.with_name(f"{video.stem}-contact-sheet.png")
        assert f"  {video}\n    contact sheet: {sheet}\n" in printed
        with Image.open(sheet) as image:  # 4 x 2 tiles of the 96 x 54 frames
            assert image.size == (8 + 4 * (96 + 8), 8 + 2 * (54 + 8))
