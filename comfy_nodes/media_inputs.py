"""ComfyUI's VIDEO and AUDIO socket values as media the client uploads, and their digests.

Why not decode: a VIDEO from ``LoadVideo`` (or from a Seedance node's output) is a
``VideoFromFile`` pointing at an MP4 on disk; decoding it to frames only to encode it again
would cost seconds, memory and quality. So the file itself is uploaded (the client streams
it), and only a video that has no file of the API's kind (a trimmed window, frames made in
the graph, a WebM/MKV file) is written out once as an MP4 with ComfyUI's own ``save_to``.
An AUDIO value holds a waveform tensor and no file, so it is encoded as 16-bit PCM WAV
(lossless at that depth, deterministic bytes, so the fingerprint is stable).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import wave
from pathlib import Path
from typing import Any

import numpy as np

from .errors import NodeInputError

__all__ = ["audio_as_wav", "media_digest", "video_source"]

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20


def _is_iso_media(head: bytes) -> bool:
    """MP4 and MOV (the containers the API takes) are ISO base media: ``ftyp`` at byte 4."""
    return head[4:8] == b"ftyp"


def _trimmed(video: Any) -> bool:
    window = getattr(video, "get_active_trim_window", None)
    if window is None:
        return False
    try:
        start, duration = window()
    except Exception:  # an odd VIDEO implementation: write it out to be safe
        return True
    return bool(start or duration)


def video_source(video: Any, *, field: str, scratch: Path) -> str | bytes:
    """What the client uploads for a VIDEO socket: its MP4/MOV file when it has one.

    A path is returned as is (streamed at upload), in-memory MP4 bytes as bytes;
    anything else is written to ``scratch/<field>.mp4`` by the VIDEO's own ``save_to``.
    """
    if video is None or not (hasattr(video, "get_stream_source") or hasattr(video, "save_to")):
        raise NodeInputError(
            f"{field}: expected a VIDEO (connect e.g. LoadVideo or a Seedance node's video "
            f"output), got {type(video).__name__}"
        )
    source = video.get_stream_source() if hasattr(video, "get_stream_source") else None
    if not _trimmed(video):
        if isinstance(source, str | os.PathLike) and Path(source).is_file():
            with open(source, "rb") as handle:
                if _is_iso_media(handle.read(12)):
                    return os.fspath(source)
        elif isinstance(source, io.BytesIO) and _is_iso_media(source.getvalue()[:12]):
            return source.getvalue()
    if not hasattr(video, "save_to"):
        raise NodeInputError(f"{field}: this VIDEO has no MP4/MOV file and cannot be written")
    scratch.mkdir(parents=True, exist_ok=True)
    target = scratch / f"{field}.mp4"
    logger.info("seedance: writing %s as MP4 for upload (no MP4/MOV file to send)", field)
    try:
        video.save_to(str(target))
    except Exception as exc:
        raise NodeInputError(f"{field}: could not write the VIDEO as MP4 ({exc})") from None
    return str(target)


def audio_as_wav(audio: Any, *, field: str) -> bytes:
    """16-bit PCM WAV bytes of a ComfyUI AUDIO (``{"waveform": [batch, channels, samples],
    "sample_rate": int}``); only the first clip of a batch is used (a warning says so)."""
    waveform = audio.get("waveform") if isinstance(audio, dict) else None
    rate = audio.get("sample_rate") if isinstance(audio, dict) else None
    if waveform is None or not hasattr(waveform, "shape") or not isinstance(rate, int):
        raise NodeInputError(
            f"{field}: expected an AUDIO (connect e.g. LoadAudio), got {type(audio).__name__}"
        )
    array = waveform.detach().to("cpu").float().numpy() if hasattr(waveform, "detach") else waveform
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 2:
        array = array[None, ...]
    if array.ndim != 3 or 0 in array.shape or rate <= 0:
        raise NodeInputError(
            f"{field}: expected an AUDIO waveform [batch, channels, samples], got shape "
            f"{tuple(array.shape)} at {rate} Hz"
        )
    if array.shape[0] > 1:
        logger.warning("%s: batch of %d clips; using the first", field, array.shape[0])
    pcm = np.clip(np.rint(array[0].T * 32767.0), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(pcm.shape[1])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def media_digest(source: Any) -> Any:
    """What the fingerprint records for one media source: SHA-256 of the bytes that are
    uploaded (a file's content, streamed), the URL itself for a remote source, None for
    none; a list for a reference list."""
    if source is None:
        return None
    if isinstance(source, tuple | list):
        return [media_digest(item) for item in source]
    if isinstance(source, bytes | bytearray):
        return hashlib.sha256(bytes(source)).hexdigest()
    text = os.fspath(source)
    if text.startswith(("http://", "https://", "data:")):
        return text
    digest = hashlib.sha256()
    with open(text, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
