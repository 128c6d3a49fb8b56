"""Re-encoding shots of another frame rate keeps each shot's length, so audio stays in sync.

Before, every decoded frame took the next slot at the first shot's rate: a 2 s shot at
30 fps became 2.5 s of video at 24 fps (at 12 fps, 1 s) while its audio kept 2 s, and
every later join drifted. Now frames are dropped or repeated to the film's rate.
"""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from shared_client import Clip, stitch_videos
from tests.support.media import write_mp4


def _lengths(path: Path) -> tuple[int, float, float]:
    """Decoded video frames, video seconds (last frame + one), audio seconds."""
    with av.open(str(path)) as container:
        rate = float(container.streams.video[0].average_rate)
        times = [float(f.time) for f in container.decode(video=0)]
        container.seek(0)
        samples = sum(f.samples for f in container.decode(audio=0))
        sample_rate = container.streams.audio[0].rate
    return len(times), max(times) + 1 / rate, samples / sample_rate


@pytest.mark.parametrize("fps", [30, 12, 24])
def test_a_shot_at_another_frame_rate_keeps_its_length(tmp_path: Path, fps: int) -> None:
    first, other = tmp_path / "first.mp4", tmp_path / "other.mp4"
    write_mp4(first, frames=48, fps=24, with_audio=True)  # 2 s at 24 fps
    write_mp4(other, frames=2 * fps, fps=fps, with_audio=True, size=(32, 24))  # 2 s, smaller
    film, reencoded = stitch_videos([Clip(first), Clip(other)], tmp_path / "film.mp4")
    frames, video, audio = _lengths(film)
    assert reencoded
    assert frames == 96 and video == pytest.approx(4.0, abs=1 / 24)
    assert audio == pytest.approx(video, abs=1 / 24)  # no drift over a frame
