"""Rendering of text-to-video scenes, extend and edit; probing fetched media."""

from __future__ import annotations

import io
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from seedance_simulator.probe import (
    NotAMedia,
    decode_audio,
    fit_samples,
    iter_frames,
    probe_audio,
    probe_video,
)
from seedance_simulator.render import RenderParams
from seedance_simulator.render_modes import render_edit, render_extend, render_t2v, scene_image


def _mp4(path: Path, colours: list[tuple[int, int, int]], fps: int, audio: bool = False) -> bytes:
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 36, "yuv420p"
        sound = container.add_stream("aac", rate=44_100, layout="mono") if audio else None
        for i, colour in enumerate(colours):
            frame = av.VideoFrame.from_ndarray(
                np.full((36, 64, 3), colour, dtype=np.uint8), format="rgb24"
            )
            frame.pts, frame.time_base = i, Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if sound is not None:
            samples = np.zeros((1, 44_100 * len(colours) // fps), dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = 44_100, 0, Fraction(1, 44_100)
            container.mux(sound.encode(frame))
            container.mux(sound.encode())
    return path.read_bytes()


def _wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x10" * int(8000 * seconds))
    return buffer.getvalue()


def _frames(path: Path) -> tuple[list[np.ndarray], bool]:
    with av.open(str(path)) as container:
        audio = bool(container.streams.audio)
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)], audio


RED, BLUE = (230, 20, 20), (20, 20, 230)


def test_probe_video_audio_and_refusals(tmp_path):
    data = _mp4(tmp_path / "a.mp4", [RED] * 12 + [BLUE] * 12, fps=8, audio=True)
    info = probe_video(data)
    assert (info.seconds, info.width, info.height, info.has_audio) == (3.0, 64, 36, True)
    assert probe_audio(_wav(2.5)).seconds == pytest.approx(2.5)
    with pytest.raises(NotAMedia):
        probe_video(_wav(1))
    with pytest.raises(NotAMedia):
        probe_audio(data)
    with pytest.raises(NotAMedia):
        probe_video(b"\x89PNG not a video")


def test_iter_frames_resamples_and_replays(tmp_path):
    data = _mp4(tmp_path / "b.mp4", [RED] * 4 + [BLUE] * 4, fps=4)  # 2 s
    pictures = list(iter_frames(data, fps=8, n_frames=16))
    assert len(pictures) == 16
    reds = [np.asarray(p)[..., 0].mean() > 128 for p in pictures]
    assert reds == [True] * 8 + [False] * 8
    replayed = list(iter_frames(data, fps=2, n_frames=8))  # 4 s from a 2 s input
    assert [np.asarray(p)[..., 0].mean() > 128 for p in replayed] == [True, True, False, False] * 2


def test_decode_and_fit_audio():
    samples = decode_audio(_wav(1.0))
    assert samples is not None and len(samples) == pytest.approx(44_100, abs=50)
    assert len(fit_samples(samples, 2.0)) == 88_200
    assert len(fit_samples(None, 0.5)) == 22_050
    looped = fit_samples(np.ones(10, dtype=np.float32), 0.001, loop=True)
    assert looped.min() == 1.0


def test_scene_is_deterministic_per_prompt():
    assert scene_image("a fox").tobytes() == scene_image("a fox").tobytes()
    assert scene_image("a fox").tobytes() != scene_image("a hen").tobytes()


def test_t2v_reference_inset(tmp_path):
    params = RenderParams(fast=True, duration=4, aspect_ratio="16:9")
    ref = Image.new("RGB", (40, 30), (0, 255, 0))
    plain = render_t2v("a field", params, tmp_path / "p.mp4")
    inset = render_t2v("a field", params, tmp_path / "r.mp4", reference=ref)
    (a, audio), (b, _) = _frames(plain), _frames(inset)
    assert len(a) == len(b) == 32 and audio is True
    corner = b[5][40:58, 85:105].reshape(-1, 3).mean(axis=0)
    assert corner[1] > 200 and corner[0] < 60
    assert not np.array_equal(a[5], b[5])


def test_extend_renders_input_then_new_seconds(tmp_path):
    data = _mp4(tmp_path / "in.mp4", [RED] * 8 + [BLUE] * 8, fps=8)  # 2 s
    params = RenderParams(fast=True, duration=4, generate_audio=False)
    out = render_extend(data, probe_video(data), params, tmp_path / "e.mp4")
    frames, audio = _frames(out)
    assert len(frames) == 8 * (2 + 4) and audio is False
    assert frames[0][..., 0].mean() > 180 and frames[15][..., 2].mean() > 180
    assert all(f[..., 2].mean() > 180 for f in frames[16:])  # continues from the blue end


def test_extend_with_last_image_and_sound(tmp_path):
    data = _mp4(tmp_path / "in.mp4", [RED] * 16, fps=8)
    last = Image.new("RGB", (32, 32), (0, 250, 0))
    out = render_extend(
        data, probe_video(data), RenderParams(fast=True, duration=4), tmp_path / "x.mp4", last=last
    )
    frames, audio = _frames(out)
    assert audio is True and frames[-1][..., 1].mean() > 200


def test_edit_grades_trims_and_adds_reference_audio(tmp_path):
    data = _mp4(tmp_path / "in.mp4", [RED] * 40, fps=8)  # 5 s, silent
    info = probe_video(data)
    out = render_edit(data, info, 4.0, "cold", RenderParams(fast=True), tmp_path / "d.mp4")
    frames, audio = _frames(out)
    assert len(frames) == 32 and audio is False
    assert np.abs(frames[0][20:40, 40:80].reshape(-1, 3).mean(axis=0) - RED).max() > 40
    voiced = render_edit(
        data, info, 4.0, "cold", RenderParams(fast=True), tmp_path / "v.mp4", audios=(_wav(2),)
    )
    assert _frames(voiced)[1] is True
    mono = render_edit(
        data, info, 4.0, "black and white", RenderParams(fast=True), tmp_path / "m.mp4"
    )
    assert not np.array_equal(_frames(mono)[0][0], frames[0])
