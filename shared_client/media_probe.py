"""What a local media file is and how long it lasts, read from its container, in pure Python.

Why: reference limits are in seconds (reference videos 2-15 s in all, audio at most 15 s),
and a request that breaks them must be refused before anything is uploaded or paid. The
core depends on httpx and tenacity only, so instead of a media library this reads the few
bytes that hold the answer: the ``mvhd`` box of an MP4/MOV, the ``fmt``/``data`` chunks
of a WAV, the first frame (and its Xing/Info header) of an MP3. Remote media (URLs) are
not probed: the server measures them.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from .media import sniff

__all__ = ["MediaInfo", "probe_media"]

Kind = Literal["image", "video", "audio"]
_HEAD = 64
_MAX_BOXES = 4096
# MPEG-1 Layer III bitrates (kbit/s) and sample rates; MPEG-2/2.5 halve the frame.
_MP3_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0)
_MP3_BITRATES_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0)
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


class _Seekable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

    def seek(self, offset: int, whence: int = ..., /) -> int: ...


@dataclass(frozen=True)
class MediaInfo:
    """A local file's kind, content type, size in bytes and duration (None if unknown)."""

    kind: Kind | None
    content_type: str | None
    size: int
    seconds: float | None = None


def probe_media(source: object) -> MediaInfo | None:
    """Describe a local path, bytes or seekable binary file; None for anything else."""
    if isinstance(source, bytes | bytearray):
        return _probe(io.BytesIO(bytes(source)), len(source))
    if isinstance(source, str | os.PathLike):
        path = Path(os.fspath(source))
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            return _probe(handle, path.stat().st_size)
    if hasattr(source, "read") and hasattr(source, "seek") and hasattr(source, "tell"):
        handle = source  # type: ignore[assignment]
        try:
            start = handle.tell()
            handle.seek(0, os.SEEK_END)
            size = handle.tell() - start
            handle.seek(start)
            return _probe(_Window(handle, start), size)
        finally:
            handle.seek(start)
    return None


class _Window(io.RawIOBase):
    """A file seen from ``start``: a caller's open file may not be at offset 0."""

    def __init__(self, handle: Any, start: int) -> None:
        self._handle, self._start = handle, start

    def read(self, size: int = -1) -> bytes:
        return bytes(self._handle.read(size))

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = self._start if whence == os.SEEK_SET else 0
        return int(self._handle.seek(base + offset, whence)) - self._start


def _probe(handle: _Seekable, size: int) -> MediaInfo:
    head = handle.read(_HEAD)
    sniffed = sniff(head)
    content_type = sniffed[0] if sniffed else None
    if content_type == "video/mp4" and head[8:12] == b"qt  ":
        content_type = "video/quicktime"
    if content_type is None and _mp3_frame(head, 0) is not None:
        content_type = "audio/mpeg"
    kind: Kind | None = None
    seconds: float | None = None
    try:
        if content_type in ("video/mp4", "video/quicktime"):
            kind, seconds = "video", _mp4_seconds(handle, size)
        elif content_type == "audio/wav":
            kind, seconds = "audio", _wav_seconds(handle)
        elif content_type == "audio/mpeg":
            kind, seconds = "audio", _mp3_seconds(handle, size)
        elif content_type is not None and content_type.startswith("image/"):
            kind = "image"
    except (struct.error, ValueError, OSError):
        seconds = None
    return MediaInfo(kind, content_type, size, seconds)


def _boxes(handle: _Seekable, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload offset, payload size) of each ISO-BMFF box in [start, end)."""
    boxes: list[tuple[bytes, int, int]] = []
    offset = start
    while offset + 8 <= end and len(boxes) < _MAX_BOXES:
        handle.seek(offset)
        header = handle.read(16)
        if len(header) < 8:
            break
        length, kind = struct.unpack(">I4s", header[:8])
        header_size = 8
        if length == 1:
            length, header_size = struct.unpack(">Q", header[8:16])[0], 16
        elif length == 0:
            length = end - offset
        if length < header_size:
            break
        boxes.append((kind, offset + header_size, length - header_size))
        offset += length
    return boxes


def _mp4_seconds(handle: _Seekable, size: int) -> float | None:
    for kind, offset, length in _boxes(handle, 0, size):
        if kind != b"moov":
            continue
        for inner, inner_offset, _ in _boxes(handle, offset, offset + length):
            if inner != b"mvhd":
                continue
            handle.seek(inner_offset)
            payload = handle.read(32)
            if payload[0] == 1:
                timescale, duration = struct.unpack(">IQ", payload[20:32])
            else:
                timescale, duration = struct.unpack(">II", payload[12:20])
            return duration / timescale if timescale else None
    return None


def _wav_seconds(handle: _Seekable) -> float | None:
    handle.seek(12)
    byte_rate = None
    for _ in range(_MAX_BOXES):
        header = handle.read(8)
        if len(header) < 8:
            return None
        chunk, length = struct.unpack("<4sI", header)
        if chunk == b"fmt ":
            fmt = handle.read(length + (length & 1))
            byte_rate = struct.unpack("<I", fmt[8:12])[0]
            continue
        if chunk == b"data":
            return length / byte_rate if byte_rate else None
        handle.seek(length + (length & 1), os.SEEK_CUR)
    return None


def _mp3_frame(data: bytes, at: int) -> tuple[int, int, int] | None:
    """(bitrate bit/s, sample rate, samples per frame) of a frame header at ``at``."""
    if at + 4 > len(data) or data[at] != 0xFF or data[at + 1] & 0xE0 != 0xE0:
        return None
    version, layer = (data[at + 1] >> 3) & 3, (data[at + 1] >> 1) & 3
    bitrate_index, rate_index = data[at + 2] >> 4, (data[at + 2] >> 2) & 3
    if layer != 1 or version == 1 or rate_index == 3:  # layer III only
        return None
    table = _MP3_BITRATES if version == 3 else _MP3_BITRATES_V2
    bitrate = table[bitrate_index] * 1000
    if not bitrate:
        return None
    return bitrate, _MP3_RATES[version][rate_index], 1152 if version == 3 else 576


def _mp3_seconds(handle: _Seekable, size: int) -> float | None:
    handle.seek(0)
    data = handle.read(min(size, 256 * 1024))
    start = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        tag = data[6:10]
        start = 10 + ((tag[0] << 21) | (tag[1] << 14) | (tag[2] << 7) | tag[3])
    for at in range(start, min(len(data) - 4, start + 64 * 1024)):
        frame = _mp3_frame(data, at)
        if frame is None:
            continue
        bitrate, rate, samples = frame
        for marker in (b"Xing", b"Info"):
            found = data.find(marker, at, at + 64)
            if found >= 0 and struct.unpack(">I", data[found + 4 : found + 8])[0] & 1:
                frames = struct.unpack(">I", data[found + 8 : found + 12])[0]
                return float(frames * samples / rate)
        return (size - at) * 8 / bitrate
    return None
