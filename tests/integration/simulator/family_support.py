"""Media and helpers for the Seedance 2.0 family tests: coloured MP4s, WAVs, uploads, decode."""

from __future__ import annotations

import functools
import io
import wave
from fractions import Fraction
from typing import Any

import av
import httpx
import numpy as np

from tests.support import plain_http

from .conftest import wait_terminal

RGB = tuple[int, int, int]
COLOURS: tuple[RGB, ...] = ((220, 30, 30), (30, 30, 220), (230, 230, 30), (30, 200, 200))


@functools.lru_cache(maxsize=32)
def coloured_mp4(
    seconds: int,
    *,
    fps: int = 12,
    audio: bool = False,
    size: tuple[int, int] = (160, 90),
    colours: tuple[RGB, ...] = COLOURS,
) -> bytes:
    """An H.264 MP4, one flat colour per second (colours cycle), optional AAC tone.

    Kept per process (the bytes are immutable): the family's tests upload the same few
    inputs about 60 times, and encoding them was their largest CPU cost after the renders.
    """
    buffer = io.BytesIO()
    width, height = size
    with av.open(buffer, "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream("aac", rate=44_100, layout="mono") if audio else None
        for i in range(seconds * fps):
            colour = colours[(i // fps) % len(colours)]
            array = np.empty((height, width, 3), dtype=np.uint8)
            array[:] = colour
            frame = av.VideoFrame.from_ndarray(array, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if sound is not None:
            t = np.arange(44_100 * seconds, dtype=np.float32) / 44_100
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for start in range(0, len(tone), 1024):
                piece = av.AudioFrame.from_ndarray(
                    tone[start : start + 1024].reshape(1, -1), format="fltp", layout="mono"
                )
                piece.sample_rate, piece.pts = 44_100, start
                piece.time_base = Fraction(1, 44_100)
                container.mux(sound.encode(piece))
            container.mux(sound.encode())
    return buffer.getvalue()


def wav_bytes(seconds: float, rate: int = 16_000) -> bytes:
    """A mono 16-bit WAV sine tone."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        t = np.arange(int(rate * seconds)) / rate
        out.writeframes((np.sin(2 * np.pi * 330 * t) * 8000).astype("<i2").tobytes())
    return buffer.getvalue()


def upload(api: httpx.Client, filename: str, data: bytes, content_type: str) -> str:
    """Upload through the simulator's ticket + presigned PUT flow; returns the download URL."""
    ticket = api.post(
        "/api/v3/media/uploads",
        json={"filename": filename, "size": len(data), "content_type": content_type},
    ).json()["data"]
    put = plain_http.put(ticket["upload"]["url"], content=data, headers=ticket["upload"]["headers"])
    assert put.status_code == 200
    return ticket["download_url"]


def run(api: httpx.Client, model: str, body: dict[str, Any]) -> dict[str, Any]:
    """Submit and wait; returns the terminal `data` (asserts the submit was accepted)."""
    response = api.post(f"/api/v3/{model}", json=body)
    assert response.status_code == 200, response.text
    return wait_terminal(api, response.json()["data"]["id"], timeout=60)


def decode(data: bytes) -> dict[str, Any]:
    """Every video frame (RGB arrays), fps, duration (frames / fps), audio track or not."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        has_audio = len(container.streams.audio) > 0
    audio_seconds = 0.0
    if has_audio:
        with av.open(io.BytesIO(data)) as container:
            rate = container.streams.audio[0].sample_rate
            audio_seconds = sum(f.samples for f in container.decode(audio=0)) / rate
    return {
        "frames": frames,
        "fps": fps,
        "seconds": len(frames) / fps,
        "audio": has_audio,
        "audio_seconds": audio_seconds,
        "size": (frames[0].shape[1], frames[0].shape[0]),
    }


def output(api: httpx.Client, model: str, body: dict[str, Any]) -> dict[str, Any]:
    """Run to completion and decode the output video."""
    result = run(api, model, body)
    assert result["status"] == "completed", result
    return decode(plain_http.get(result["outputs"][0], timeout=60).content)


def mean_colour(frame: np.ndarray, box: tuple[float, float, float, float] = (0, 0, 1, 1)):
    """Mean RGB of a region given as fractions (x0, y0, x1, y1) of the frame."""
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = box
    region = frame[int(y0 * h) : max(int(y1 * h), int(y0 * h) + 1), int(x0 * w) : int(x1 * w)]
    return region.reshape(-1, 3).mean(axis=0)
