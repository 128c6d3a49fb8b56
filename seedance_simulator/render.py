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
import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

logger = logging.getLogger(__name__)

SHORT_SIDES: dict[str, int] = {"480p": 480, "720p": 720, "1080p": 1080}
FAST_SHORT_SIDE = 64
FULL_FPS = 24
FAST_FPS = 8
AUDIO_RATE = 44_100
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


def _frame_at(canvas: Image.Image, size: tuple[int, int], motion: str, t: float) -> Image.Image:
    cw, ch = canvas.size
    scale, cx, cy = camera_window(motion, t)
    half_w, half_h = cw * scale / 2, ch * scale / 2
    x = min(max(cx * cw, half_w), cw - half_w)
    y = min(max(cy * ch, half_h), ch - half_h)
    box = (x - half_w, y - half_h, x + half_w, y + half_h)
    return canvas.resize(size, Image.Resampling.BILINEAR, box=box)


def _chord(duration: int) -> np.ndarray:
    """A soft A-major chord with fades: enough to prove the audio track is real."""
    t = np.arange(int(AUDIO_RATE * duration), dtype=np.float32) / AUDIO_RATE
    wave = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.18, 329.63)) / 3
    envelope = np.minimum(1.0, np.minimum(t / 0.3, (duration - t) / 0.5)).clip(0, 1)
    return (0.2 * wave * envelope).astype(np.float32)


def _video_codec() -> str:
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


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
    fps = params.fps
    n_frames = fps * params.duration
    fd, tmp_name = tempfile.mkstemp(suffix=".mp4.part", dir=dest.parent)
    os.close(fd)
    try:
        with av.open(tmp_name, "w", format="mp4") as container:
            video = container.add_stream(_video_codec(), rate=fps)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            if video.codec_context.name == "libx264":
                video.options = {"preset": "ultrafast", "tune": "fastdecode", "crf": "26"}
            audio = None
            if params.generate_audio:
                audio = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
            for i in range(n_frames):
                t = i / max(1, n_frames - 1)
                frame_img = _frame_at(canvas, (width, height), params.motion, t)
                if last_canvas is not None and t > 0.4:
                    last_frame = _frame_at(last_canvas, (width, height), params.motion, t)
                    frame_img = Image.blend(frame_img, last_frame, _smoothstep((t - 0.4) / 0.6))
                frame = av.VideoFrame.from_image(frame_img)
                frame.pts = i
                frame.time_base = Fraction(1, fps)
                container.mux(video.encode(frame))
            container.mux(video.encode())
            if audio is not None:
                _encode_audio(container, audio, params.duration)
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return dest


def _encode_audio(
    container: av.container.OutputContainer, stream: av.AudioStream, duration: int
) -> None:
    samples = _chord(duration)
    chunk = 1024
    for start in range(0, len(samples), chunk):
        piece = samples[start : start + chunk].reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = start
        frame.time_base = Fraction(1, AUDIO_RATE)
        container.mux(stream.encode(frame))
    container.mux(stream.encode())


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
