"""Write an MP4 (H.264 + optional AAC) from pictures and samples, atomically.

Why separate: every mode (image-, text-to-video, extend, edit) ends in the same encoder
settings and the same "temp file, then rename" rule, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

AUDIO_RATE = 44_100


def video_codec() -> str:
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def chord(seconds: float) -> np.ndarray:
    """A soft A-major chord with fades: enough to prove the audio track is real."""
    t = np.arange(round(AUDIO_RATE * seconds), dtype=np.float32) / AUDIO_RATE
    wave = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63)) / 3
    envelope = np.minimum(1.0, np.minimum(t / 0.3, (seconds - t) / 0.5)).clip(0, 1)
    return (0.2 * wave * envelope).astype(np.float32)


def encode_mp4(
    dest: Path,
    size: tuple[int, int],
    fps: int,
    frames: Iterable[Image.Image],
    audio: np.ndarray | None = None,
) -> Path:
    """Encode `frames` (any size: each is scaled to `size` if needed) and mono `audio`."""
    width, height = size
    fd, tmp_name = tempfile.mkstemp(suffix=".mp4.part", dir=dest.parent)
    os.close(fd)
    try:
        with av.open(tmp_name, "w", format="mp4") as container:
            video = container.add_stream(video_codec(), rate=fps)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            if video.codec_context.name == "libx264":
                video.options = {"preset": "ultrafast", "tune": "fastdecode", "crf": "26"}
            stream = None
            if audio is not None:
                stream = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
            for i, picture in enumerate(frames):
                if picture.size != size:
                    picture = picture.resize(size, Image.Resampling.BILINEAR)
                frame = av.VideoFrame.from_image(picture.convert("RGB"))
                frame.pts = i
                frame.time_base = Fraction(1, fps)
                container.mux(video.encode(frame))
            container.mux(video.encode())
            if stream is not None and audio is not None:
                _encode_audio(container, stream, audio)
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return dest


def _encode_audio(
    container: av.container.OutputContainer, stream: av.AudioStream, samples: np.ndarray
) -> None:
    samples = np.clip(samples, -1.0, 1.0).astype(np.float32)
    chunk = 1024
    for start in range(0, len(samples), chunk):
        piece = samples[start : start + chunk].reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        frame.time_base = Fraction(1, AUDIO_RATE)
        container.mux(stream.encode(frame))
    container.mux(stream.encode())
