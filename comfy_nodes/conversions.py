"""Conversions between ComfyUI's data types and what the Seedance API takes and returns.

ComfyUI's IMAGE is a float tensor ``[batch, height, width, channels]`` in ``0..1``; the
API takes an image file. The start frame is encoded as PNG (lossless at ComfyUI's own
8-bit quantisation, the one ``SaveImage`` uses) so the model sees exactly the pixels of
the graph. The V1 fallback needs the MP4 decoded back into IMAGE frames + AUDIO + fps.
"""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from .errors import NodeInputError
from .png import encode_png

if TYPE_CHECKING:  # torch is only imported when a conversion actually runs
    import torch

logger = logging.getLogger(__name__)

#: Sample rate of the silent track returned when a video has no audio stream (V1 only).
SILENT_SAMPLE_RATE = 44_100


class ImageInputError(NodeInputError):
    """An IMAGE input the node cannot encode (missing, wrong type or shape, empty batch)."""


def first_image_as_png(image: torch.Tensor, *, field: str = "image") -> bytes:
    """PNG bytes of the first image of a ComfyUI IMAGE batch.

    Seedance takes one start frame; if the batch holds more, the rest are ignored
    with a warning rather than silently (or by paying for one video per frame).
    """
    if not hasattr(image, "detach") or not hasattr(image, "shape"):
        raise ImageInputError(
            f"{field}: expected an IMAGE (connect e.g. a LoadImage node), got "
            f"{type(image).__name__}"
        )
    array = image.detach().to("cpu").float().numpy()
    if array.ndim == 3:
        array = array[None, ...]
    if array.ndim != 4 or array.shape[0] == 0:
        raise ImageInputError(
            f"{field}: expected an IMAGE batch [batch, height, width, channels], got shape "
            f"{tuple(image.shape)}"
        )
    if array.shape[0] > 1:
        logger.warning(
            "%s: batch of %d images; Seedance takes one frame, using the first",
            field,
            array.shape[0],
        )
    frame = array[0]
    channels = frame.shape[-1]
    if channels not in (1, 3, 4):
        raise ImageInputError(f"{field}: expected 1, 3 or 4 channels, got {channels}")
    scaled = frame * 255.0  # one temporary, rounded and clipped in place (1080p: ~25 MB)
    np.rint(scaled, out=scaled)
    np.clip(scaled, 0, 255, out=scaled)
    pixels = scaled.astype(np.uint8)
    return encode_png(np.ascontiguousarray(pixels))


def png_to_tensor(data: bytes) -> torch.Tensor:
    """Decode image bytes into a one-image IMAGE batch (the inverse of the above)."""
    import torch

    with Image.open(io.BytesIO(data)) as pil:
        rgb = np.asarray(pil.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(rgb)[None, ...]


def sha256_hex(data: bytes) -> str:
    """Digest used in request fingerprints."""
    return hashlib.sha256(data).hexdigest()


def video_to_components(path: Path) -> tuple[torch.Tensor, dict[str, Any], float]:
    """Decode an MP4 into ``(IMAGE frames, AUDIO, fps)`` for ComfyUI without V3 VIDEO.

    Only the V1 fallback needs this; V3 hands ComfyUI a ``VideoFromFile`` and never
    holds decoded frames in memory. A video without audio gets a silent track of the
    same length so downstream AUDIO inputs still work.
    """
    import av
    import torch

    frames: list[np.ndarray] = []
    audio_chunks: list[np.ndarray] = []
    sample_rate = SILENT_SAMPLE_RATE
    with av.open(str(path)) as container:
        video_stream = container.streams.video[0]
        fps = float(video_stream.average_rate or video_stream.guessed_rate or 24)
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
        if container.streams.audio:
            container.seek(0)
            audio_stream = container.streams.audio[0]
            sample_rate = int(audio_stream.rate or SILENT_SAMPLE_RATE)
            for aframe in container.decode(audio=0):
                chunk = aframe.to_ndarray()
                if aframe.format.is_packed:  # interleaved [1, samples*channels]
                    chunk = chunk.reshape(-1, len(aframe.layout.channels)).T
                if np.issubdtype(chunk.dtype, np.integer):  # s16/s32 -> -1..1
                    chunk = chunk / float(np.iinfo(chunk.dtype.str).max)
                audio_chunks.append(chunk.astype(np.float32))
    if not frames:
        raise ValueError(f"{path.name}: the downloaded video holds no frames")
    image = torch.from_numpy(np.stack(frames).astype(np.float32) / 255.0)
    if audio_chunks:
        waveform = torch.from_numpy(np.concatenate(audio_chunks, axis=1))
    else:
        samples = round(len(frames) / fps * SILENT_SAMPLE_RATE)
        waveform = torch.zeros((1, samples), dtype=torch.float32)
    audio = {"waveform": waveform[None, ...], "sample_rate": sample_rate}
    return image, audio, fps
