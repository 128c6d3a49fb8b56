"""Images and videos for tests: PNG bytes and files, data URIs, MP4 probing and building.

Pillow, PyAV and NumPy are imported inside the functions that need them, so core tests
that only use :func:`make_png` need no imaging library.
"""

from __future__ import annotations

import base64
import io
import os
import struct
import zlib
from pathlib import Path
from typing import Any

RGB = tuple[int, int, int]

#: The start of an MP4 file (an ``ftyp`` box), enough for "is this a video" checks.
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42"


def make_png(width: int = 8, height: int = 8, rgb: RGB = (200, 40, 40)) -> bytes:
    """A valid RGB PNG built by hand, so core tests need no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width
    raw = row * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def pil_png(size: tuple[int, int] = (8, 8), rgb: RGB = (200, 40, 40)) -> bytes:
    """A plain one-colour PNG encoded by Pillow."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def save_png(path: Path, size: tuple[int, int], rgb: RGB) -> Path:
    """Write a plain one-colour PNG (Pillow) to ``path``; returns ``path``."""
    from PIL import Image

    Image.new("RGB", size, rgb).save(path)
    return path


def marked_png(size: tuple[int, int] = (160, 120), rgb: RGB = (200, 80, 40)) -> bytes:
    """A PNG with a row of white dots across the middle, so motion is visible in frames."""
    from PIL import Image

    img = Image.new("RGB", size, rgb)
    for x in range(0, size[0], 8):
        img.putpixel((x, size[1] // 2), (255, 255, 255))
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    """``png`` as a ``data:image/png;base64,...`` URL (an image the API takes inline)."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


def fake_mp4(blocks: int) -> bytes:
    """An MP4 header and ``blocks`` x 256 bytes of filler: a download body, not playable."""
    return MP4_HEADER + bytes(range(256)) * blocks


def count_frames(path: str | os.PathLike[str]) -> int:
    """Decode every frame with PyAV; return the frame count (fails on a broken file)."""
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def probe_mp4(data: bytes | str | os.PathLike[str]) -> dict[str, Any]:
    """Decode every video frame (proves the file is valid) and report its properties.

    ``data`` is the file's bytes or its path.
    """
    import av

    source = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    with av.open(source) as container:
        video = container.streams.video[0]
        info: dict[str, Any] = {
            "width": video.codec_context.width,
            "height": video.codec_context.height,
            "fps": float(video.average_rate),
            "duration": float(container.duration) / 1e6,
            "codec": video.codec_context.name,
            "audio": len(container.streams.audio) > 0,
        }
        info["frames"] = sum(1 for _ in container.decode(video=0))
    return info


def write_mp4(
    path: Path, frames: int, fps: int, with_audio: bool, size: tuple[int, int] = (64, 48)
) -> None:
    """A real H.264 MP4 of flat grey frames (brighter each frame), with a 440 Hz AAC tone."""
    from fractions import Fraction

    import av
    import numpy as np

    width, height = size
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = container.add_stream("aac", rate=44_100, layout="mono") if with_audio else None
        for i in range(frames):
            array = np.full((height, width, 3), (i * 20) % 256, dtype=np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if audio is not None:
            samples = 44_100 * frames // fps
            t = np.arange(samples, dtype=np.float32) / 44_100
            tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            frame.sample_rate = 44_100
            frame.time_base = Fraction(1, 44_100)
            frame.pts = 0
            for packet in audio.encode(frame):
                container.mux(packet)
            for packet in audio.encode():
                container.mux(packet)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def container_mp4(
    seconds: float, *, timescale: int = 1000, version: int = 0, brand: bytes = b"isom"
) -> bytes:
    """A minimal MP4/MOV (``ftyp`` + ``moov/mvhd``) lasting ``seconds``: enough for the
    client's pure-Python duration probe, no codec needed. ``brand=b"qt  "`` makes a MOV."""
    ftyp = _box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand)
    if version == 1:
        body = bytes([1, 0, 0, 0]) + struct.pack(
            ">QQIQ", 0, 0, timescale, round(seconds * timescale)
        )
    else:
        body = bytes(4) + struct.pack(">IIII", 0, 0, timescale, round(seconds * timescale))
    mvhd = _box(b"mvhd", body + bytes(80))
    return ftyp + _box(b"mdat", bytes(64)) + _box(b"moov", mvhd)


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    """A silent mono 16-bit PCM WAV of ``seconds``."""
    data = bytes(int(seconds * rate) * 2)
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    chunks = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    chunks += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(chunks)) + chunks


def mp3_bytes(seconds: float) -> bytes:
    """Constant-bitrate MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz) lasting ``seconds``."""
    frame = b"\xff\xfb\x90\x64" + bytes(413)  # 417 bytes = 144 * 128000 / 44100
    count = round(seconds * 44100 / 1152)
    return b"ID3\x03\x00\x00\x00\x00\x00\x00" + frame * count
