"""Render a real MP4 from a start image: camera move, optional cross-fade, optional AAC audio.

Why it exists: demos, ComfyUI graphs and download code need a *real* video to decode,
with the resolution, aspect ratio and duration the request asked for, so that bugs in
sizing or container handling show up offline instead of on a paid run.

Everything here is synchronous and CPU bound; the server runs it in a worker thread
(PIL resizing and the libav encoders release the GIL) so the event loop never stalls.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .encode import chord, encode_mp4

logger = logging.getLogger(__name__)

SHORT_SIDES: dict[str, int] = {"480p": 480, "720p": 720, "1080p": 1080}
FAST_SHORT_SIDE = 64
FULL_FPS = 24
FAST_FPS = 8
# Canvas margin: the source is prepared this much larger than the output so that the
# camera can zoom or pan inside it without ever showing an edge.
CANVAS_MARGIN = 1.3


@dataclass(frozen=True)
class RenderParams:
    """What the output must look like; hashable so renders can be cached by it."""

    resolution: str = "720p"
    aspect_ratio: str | None = None
    duration: int = 5
    generate_audio: bool = True
    motion: str = "push_in"
    fast: bool = False

    @property
    def fps(self) -> int:
        return FAST_FPS if self.fast else FULL_FPS


def motion_from_prompt(prompt: str) -> str:
    """Pick a camera move from the prompt's words, as the real model reacts to them."""
    text = prompt.lower()
    if "zoom out" in text:
        return "zoom_out"
    if "zoom" in text:
        return "zoom_in"
    if "pan left" in text:
        return "pan_left"
    if "pan right" in text:
        return "pan_right"
    if "tracking" in text or "dolly" in text:
        return "tracking"
    return "push_in"


def output_size(params: RenderParams, image_size: tuple[int, int]) -> tuple[int, int]:
    """Width and height (both even) for the short side of `resolution` and the ratio.

    The ratio is the requested one, else the input image's, as the API documents.
    """
    short = FAST_SHORT_SIDE if params.fast else SHORT_SIDES[params.resolution]
    if params.aspect_ratio:
        w_part, h_part = (int(p) for p in params.aspect_ratio.split(":"))
        ratio = w_part / h_part
    else:
        ratio = image_size[0] / max(1, image_size[1])
    if ratio >= 1:
        width, height = short * ratio, short
    else:
        width, height = short, short / ratio
    return _even(width), _even(height)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """Centre-crop `image` to the target ratio and scale it to exactly width x height."""
    src_w, src_h = image.size
    target = width / height
    if src_w / src_h > target:
        crop_w = src_h * target
        box = ((src_w - crop_w) / 2, 0.0, (src_w + crop_w) / 2, float(src_h))
    else:
        crop_h = src_w / target
        box = (0.0, (src_h - crop_h) / 2, float(src_w), (src_h + crop_h) / 2)
    return image.resize((width, height), Image.Resampling.BILINEAR, box=box)


def _smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def camera_window(motion: str, t: float) -> tuple[float, float, float]:
    """(scale, centre_x, centre_y) of the visible window as fractions of the canvas.

    scale 1.0 shows the whole canvas; 1/CANVAS_MARGIN shows exactly the output framing.
    """
    e = _smoothstep(t)
    tight = 1 / CANVAS_MARGIN
    if motion == "zoom_in":
        return 1.0 - (1.0 - tight * 0.95) * e, 0.5, 0.5
    if motion == "zoom_out":
        return tight * 0.95 + (1.0 - tight * 0.95) * e, 0.5, 0.5
    half_span = (1 - tight) / 2
    if motion == "pan_left":
        return tight, 0.5 + half_span - 2 * half_span * e, 0.5
    if motion == "pan_right":
        return tight, 0.5 - half_span + 2 * half_span * e, 0.5
    if motion == "tracking":
        scale = 0.9 - 0.08 * e
        span = (1 - scale) / 2
        return scale, 0.5 - span + 2 * span * e, 0.5 + span * 0.3 * math.sin(math.pi * t)
    return 1.0 - 0.12 * e, 0.5, 0.5  # slow push-in


def _frame_at(
    canvas: Image.Image, size: tuple[int, int], motion: str, t: float, weight: float = 1.0
) -> Image.Image:
    """The output picture at time `t`; `weight` < 1 pulls the window toward the whole canvas."""
    cw, ch = canvas.size
    scale, cx, cy = camera_window(motion, t)
    if weight < 1.0:
        scale = 1.0 + (scale - 1.0) * weight
        cx, cy = 0.5 + (cx - 0.5) * weight, 0.5 + (cy - 0.5) * weight
    half_w, half_h = cw * scale / 2, ch * scale / 2
    x = min(max(cx * cw, half_w), cw - half_w)
    y = min(max(cy * ch, half_h), ch - half_h)
    box = (x - half_w, y - half_h, x + half_w, y + half_h)
    return canvas.resize(size, Image.Resampling.BILINEAR, box=box)


def camera_frames(
    canvas: Image.Image,
    size: tuple[int, int],
    motion: str,
    n_frames: int,
    last_canvas: Image.Image | None = None,
    ease_in: bool = False,
) -> Iterator[Image.Image]:
    """The camera's pictures over `canvas`, cross-fading to `last_canvas` after 40 %.

    `ease_in` starts on the whole canvas and eases into the move (video-extend starts
    exactly on the input's last frame).
    """
    for i in range(n_frames):
        t = i / max(1, n_frames - 1)
        weight = _smoothstep(min(1.0, t * 3)) if ease_in else 1.0
        frame_img = _frame_at(canvas, size, motion, t, weight)
        if last_canvas is not None and t > 0.4:
            last_frame = _frame_at(last_canvas, size, motion, t, weight)
            frame_img = Image.blend(frame_img, last_frame, _smoothstep((t - 0.4) / 0.6))
        yield frame_img


def render_mp4(
    image: Image.Image,
    params: RenderParams,
    dest: Path,
    last_image: Image.Image | None = None,
) -> Path:
    """Encode the video to `dest` (written to a temp file, then renamed: never half a file)."""
    image = image.convert("RGB")
    width, height = output_size(params, image.size)
    canvas_size = (_even(width * CANVAS_MARGIN), _even(height * CANVAS_MARGIN))
    canvas = _cover(image, *canvas_size)
    last_canvas = _cover(last_image.convert("RGB"), *canvas_size) if last_image else None
    n_frames = params.fps * params.duration
    frames = camera_frames(canvas, (width, height), params.motion, n_frames, last_canvas)
    audio = chord(params.duration) if params.generate_audio else None
    return encode_mp4(dest, (width, height), params.fps, frames, audio)


def placeholder_image(prompt: str, size: tuple[int, int] = (1280, 720)) -> Image.Image:
    """A deterministic gradient for text-to-video: colours derived from the prompt."""
    digest = hashlib.sha256(prompt.encode()).digest()
    w, h = size
    xs = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    ys = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    a = np.array(list(digest[0:3]), dtype=np.float32)
    b = np.array(list(digest[3:6]), dtype=np.float32)
    c = np.array(list(digest[6:9]), dtype=np.float32)
    pixels = a * (1 - xs) * (1 - ys) + b * xs + c * ys * (1 - xs)
    grid = ((np.floor(xs * 16) + np.floor(ys * 9)) % 2) * 24
    return Image.fromarray(np.clip(pixels + grid, 0, 255).astype(np.uint8), "RGB")


class NotAnImage(ValueError):
    """The fetched bytes are not a decodable image."""


def decode_image(data: bytes) -> Image.Image:
    """Open image bytes fully; anything PIL cannot decode raises `NotAnImage`."""
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise NotAnImage(f"{type(exc).__name__}: {exc}") from exc
    return img


def render_key(image_bytes: bytes, last_bytes: bytes | None, params: RenderParams) -> str:
    """Cache key: identical inputs and parameters give the identical video."""
    h = hashlib.sha256(image_bytes)
    h.update(b"|last|" + (last_bytes or b""))
    h.update(repr(params).encode())
    return h.hexdigest()
