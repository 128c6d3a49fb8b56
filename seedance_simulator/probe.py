"""Probe and decode fetched videos and audio with PyAV: lengths, sizes, frames, samples.

Why: reference limits are about seconds (videos 2-15 s in all, audio at most 15 s), the
price of a video-edit depends on its input's length, and video-extend / video-edit start
from the input's real frames and sound. Decoding streams frame by frame: a 15 s 1080p
input never sits in memory whole.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np
from PIL import Image

AUDIO_RATE = 44_100
VIDEO_FORMATS = {"mov", "mp4"}
AUDIO_FORMATS = {"mp3", "wav"}


class NotAMedia(ValueError):
    """The fetched bytes are not a decodable video / audio file of an accepted format."""


@dataclass(frozen=True)
class MediaInfo:
    """What a probe found: the length in seconds, and for videos the picture size."""

    kind: str  # "video" | "audio"
    seconds: float
    width: int = 0
    height: int = 0
    has_audio: bool = False


def _open(data: bytes) -> av.container.InputContainer:
    try:
        return av.open(io.BytesIO(data), "r")
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise NotAMedia(f"{type(exc).__name__}: {exc}") from exc


def _stream_seconds(container: av.container.InputContainer, stream: av.stream.Stream) -> float:
    rate = getattr(stream, "average_rate", None)
    if stream.type == "video" and stream.frames and rate:
        return float(stream.frames / rate)
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return 0.0


def probe_video(data: bytes) -> MediaInfo:
    """Length and size of an MP4/MOV video (its video stream); other bytes raise."""
    with _open(data) as container:
        names = set(container.format.name.split(","))
        if not names & VIDEO_FORMATS or not container.streams.video:
            raise NotAMedia(f"not an MP4/MOV video (format {container.format.name})")
        stream = container.streams.video[0]
        seconds = _stream_seconds(container, stream)
        ctx = stream.codec_context
        if seconds <= 0 or not ctx.width or not ctx.height:
            raise NotAMedia("video without frames")
        return MediaInfo("video", seconds, ctx.width, ctx.height, bool(container.streams.audio))


def probe_audio(data: bytes) -> MediaInfo:
    """Length of an MP3/WAV file; other bytes raise."""
    with _open(data) as container:
        names = set(container.format.name.split(","))
        if not names & AUDIO_FORMATS or not container.streams.audio:
            raise NotAMedia(f"not an MP3/WAV audio file (format {container.format.name})")
        seconds = _stream_seconds(container, container.streams.audio[0])
        if seconds <= 0:
            raise NotAMedia("audio without samples")
        return MediaInfo("audio", seconds)


def _cover_scale(width: int, height: int, target: tuple[int, int] | None) -> dict[str, int]:
    """Reformat arguments shrinking a frame to just cover `target` (none if not smaller)."""
    if target is None or not width or not height:
        return {}
    scale = max(target[0] / width, target[1] / height)
    if scale >= 1:
        return {}
    return {"width": max(2, round(width * scale)), "height": max(2, round(height * scale))}


def iter_frames(
    data: bytes, fps: int, n_frames: int, cover: tuple[int, int] | None = None
) -> Iterator[Image.Image]:
    """`n_frames` pictures at `fps`, each the input frame shown at that instant.

    The input is replayed from its start when it is shorter than `n_frames / fps`.
    `cover`: the size the pictures are for; larger inputs are shrunk while converting.
    """
    produced = 0
    while produced < n_frames:
        before = produced
        last: Image.Image | None = None
        with _open(data) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            shrink = _cover_scale(stream.codec_context.width, stream.codec_context.height, cover)
            start: float | None = None
            for frame in container.decode(stream):
                t = float(frame.time or 0.0)
                start = t if start is None else start
                # output instants before this frame's time show the previous frame
                while (
                    last is not None
                    and produced < n_frames
                    and ((produced - before) / fps < t - start - 1e-6)
                ):
                    yield last
                    produced += 1
                last = frame.to_image(**shrink)
            length = _stream_seconds(container, stream)
        if last is None:
            raise NotAMedia("video without frames")
        # the last input frame lasts until the end of the input
        while produced < n_frames and (produced - before) / fps < length - 1e-6:
            yield last
            produced += 1
        if produced == before:  # a zero-length pass would loop forever
            yield last
            produced += 1


def last_frame(data: bytes) -> Image.Image:
    """The input's final picture (where video-extend continues from)."""
    picture: Image.Image | None = None
    with _open(data) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            picture = frame.to_image()
    if picture is None:
        raise NotAMedia("video without frames")
    return picture


def decode_audio(data: bytes) -> np.ndarray | None:
    """The first audio stream as mono float32 samples at 44.1 kHz (None: no audio)."""
    with _open(data) as container:
        if not container.streams.audio:
            return None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        chunks: list[np.ndarray] = []
        for frame in container.decode(container.streams.audio[0]):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    if not chunks:
        return None
    return np.concatenate(chunks).astype(np.float32)


def fit_samples(samples: np.ndarray | None, seconds: float, loop: bool = False) -> np.ndarray:
    """Exactly `seconds` of audio: trimmed, padded with silence, or looped."""
    n = round(AUDIO_RATE * seconds)
    if samples is None or not len(samples):
        return np.zeros(n, dtype=np.float32)
    if loop and len(samples) < n:
        samples = np.tile(samples, n // len(samples) + 1)
    out = np.zeros(n, dtype=np.float32)
    out[: min(n, len(samples))] = samples[:n]
    return out
