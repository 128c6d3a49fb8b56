"""The pictures of text-to-video, video-extend and video-edit (image-to-video: `render.py`).

Why: every mode must give a real MP4 whose size, length and sound follow the request, and
whose pixels show what the request changed (the prompt, a reference image, the input
video), so that download, chaining and display code can be tested offline.

* text-to-video: a scene drawn from the prompt's hash (sky, ground, shapes), filmed with
  the camera move the prompt's words ask for; the first reference image as an inset.
* video-extend: the input's frames (scaled to the output size), then `duration` new
  seconds that start on its last frame and ease into the move (or fade to `last_image`).
* video-edit: the input (trimmed or replayed to the requested length) colour graded and
  overlaid with a frame and a moving marker; the first reference image as an inset.

All synchronous and CPU bound: the server runs these in its render threads.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from .encode import chord, encode_mp4
from .probe import MediaInfo, decode_audio, fit_samples, iter_frames, last_frame
from .render import (
    CANVAS_MARGIN,
    RenderParams,
    _cover,
    _even,
    camera_frames,
    output_size,
    placeholder_image,
)

SCENE_SIZE = (1280, 720)
INSET_FRACTION = 0.34  # of the output width


def _rng(prompt: str) -> random.Random:
    return random.Random(hashlib.sha256(prompt.encode()).digest())


def scene_image(prompt: str, size: tuple[int, int] = SCENE_SIZE) -> Image.Image:
    """A deterministic picture from the prompt: gradient sky, ground band, a few shapes."""
    rng = _rng(prompt)
    img = placeholder_image(prompt, size)
    draw = ImageDraw.Draw(img)
    w, h = size
    horizon = int(h * rng.uniform(0.55, 0.75))
    ground = tuple(rng.randrange(40, 200) for _ in range(3))
    draw.rectangle((0, horizon, w, h), fill=ground)
    for _ in range(rng.randrange(3, 7)):
        colour = tuple(rng.randrange(0, 256) for _ in range(3))
        cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.15, 0.85) * h
        r = rng.uniform(0.04, 0.12) * w
        box = (cx - r, cy - r, cx + r, cy + r)
        kind = rng.choice(("circle", "square", "triangle"))
        if kind == "circle":
            draw.ellipse(box, fill=colour, outline=(255, 255, 255), width=3)
        elif kind == "square":
            draw.rectangle(box, fill=colour, outline=(0, 0, 0), width=3)
        else:
            draw.polygon([(cx, cy - r), (cx + r, cy + r), (cx - r, cy + r)], fill=colour)
    return img


def make_inset(reference: Image.Image, size: tuple[int, int]) -> tuple[Image.Image, tuple]:
    """The reference image as a bordered inset for the bottom-right corner, and its place."""
    width = max(8, int(size[0] * INSET_FRACTION))
    ref = reference.convert("RGB")
    height = max(8, min(int(size[1] * 0.6), round(width * ref.height / max(1, ref.width))))
    border = max(1, width // 40)
    inset = ImageOps.expand(
        _cover(ref, width - 2 * border, height - 2 * border), border, (255, 255, 255)
    )
    margin = max(2, size[0] // 40)
    return inset, (size[0] - inset.width - margin, size[1] - inset.height - margin)


def _with_inset(
    frames: Iterable[Image.Image], reference: Image.Image | None, size: tuple[int, int]
) -> Iterator[Image.Image]:
    if reference is None:
        yield from frames
        return
    inset, place = make_inset(reference, size)
    for frame in frames:
        frame.paste(inset, place)
        yield frame


def _canvas_size(size: tuple[int, int]) -> tuple[int, int]:
    return _even(size[0] * CANVAS_MARGIN), _even(size[1] * CANVAS_MARGIN)


def render_t2v(
    prompt: str,
    params: RenderParams,
    dest: Path,
    *,
    start: Image.Image | None = None,
    last: Image.Image | None = None,
    reference: Image.Image | None = None,
) -> Path:
    """Text-to-video: the prompt's scene (or a given start image) and the camera move."""
    picture = (start or scene_image(prompt)).convert("RGB")
    size = output_size(params, picture.size)
    canvas = _cover(picture, *_canvas_size(size))
    last_canvas = _cover(last.convert("RGB"), *_canvas_size(size)) if last else None
    n_frames = params.fps * (params.duration or 5)
    frames = camera_frames(canvas, size, params.motion, n_frames, last_canvas)
    audio = chord(n_frames / params.fps) if params.generate_audio else None
    return encode_mp4(dest, size, params.fps, _with_inset(frames, reference, size), audio)


def render_extend(
    video: bytes,
    info: MediaInfo,
    params: RenderParams,
    dest: Path,
    *,
    last: Image.Image | None = None,
) -> Path:
    """The input's frames, then `params.duration` new seconds continuing from its last."""
    size = output_size(params, (info.width, info.height))
    fps = params.fps
    n_input = max(1, round(info.seconds * fps))
    n_new = fps * (params.duration or 5)
    canvas_size = _canvas_size(size)

    def frames() -> Iterator[Image.Image]:
        final: Image.Image | None = None
        for picture in iter_frames(video, fps, n_input, size):
            final = _cover(picture.convert("RGB"), *size)
            yield final
        start = final if final is not None else _cover(last_frame(video).convert("RGB"), *size)
        canvas = _cover(start, *canvas_size)
        target = _cover(last.convert("RGB"), *canvas_size) if last else None
        yield from camera_frames(canvas, size, params.motion, n_new, target, ease_in=True)

    audio = None
    source_audio = decode_audio(video) if info.has_audio else None
    if params.generate_audio or source_audio is not None:
        new_part = chord(n_new / fps) if params.generate_audio else fit_samples(None, n_new / fps)
        audio = np.concatenate([fit_samples(source_audio, n_input / fps), new_part])
    return encode_mp4(dest, size, fps, frames(), audio)


def _grade(prompt: str, size: tuple[int, int]) -> tuple[Image.Image, tuple[int, int, int], bool]:
    """The edit's look from the prompt: a tint layer, an accent colour, monochrome or not."""
    rng = _rng("edit:" + prompt)
    tint = tuple(rng.randrange(0, 256) for _ in range(3))
    accent = tuple(255 - c for c in tint)
    text = prompt.lower()
    mono = any(w in text for w in ("black and white", "monochrome", "grayscale", "greyscale"))
    return Image.new("RGB", size, tint), accent, mono  # type: ignore[return-value]


def render_edit(
    video: bytes,
    info: MediaInfo,
    seconds: float,
    prompt: str,
    params: RenderParams,
    dest: Path,
    *,
    reference: Image.Image | None = None,
    audios: tuple[bytes, ...] = (),
) -> Path:
    """The input, `seconds` long, graded and overlaid so the change is plain to see."""
    size = output_size(params, (info.width, info.height))
    fps = params.fps
    n_frames = max(1, round(seconds * fps))
    tint, accent, mono = _grade(prompt, size)
    border = max(2, min(size) // 30)
    radius = max(2, min(size) // 12)

    def frames() -> Iterator[Image.Image]:
        for i, picture in enumerate(iter_frames(video, fps, n_frames, size)):
            frame = _cover(picture.convert("RGB"), *size)
            if mono:
                frame = ImageOps.grayscale(frame).convert("RGB")
            frame = Image.blend(frame, tint, 0.35)
            draw = ImageDraw.Draw(frame)
            draw.rectangle((0, 0, size[0] - 1, size[1] - 1), outline=accent, width=border)
            x = border + radius + (size[0] - 2 * (border + radius)) * i / max(1, n_frames - 1)
            y = border + radius * 1.5
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=accent)
            yield frame

    audio = None
    source = decode_audio(video) if info.has_audio else None
    if source is not None or audios:
        length = n_frames / fps
        mix = fit_samples(source, length, loop=True)
        if audios:
            sound = [s for s in (decode_audio(a) for a in audios) if s is not None]
            refs = fit_samples(np.concatenate(sound) if sound else None, length)
            mix = 0.5 * mix + 0.5 * refs if source is not None else refs
        audio = mix
    return encode_mp4(dest, size, fps, _with_inset(frames(), reference, size), audio)
