"""From a validated request to a render job: fetch every medium, probe, check, bill.

Why: what the API can only judge once it holds the files (a reference that is not a
video, reference lengths, the length of the video to edit) fails the *task*, as on the
real service: unreachable or unreadable media with 1402, lengths out of range with 1401.
The job also knows how many seconds the run bills and its render-cache key.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import EDIT_MAX_INPUT_SECONDS
from .context import SimContext
from .fetch import MediaUnavailable, fetch_media
from .probe import MediaInfo, NotAMedia, probe_audio, probe_video
from .render import (
    NotAnImage,
    RenderParams,
    decode_image,
    motion_from_prompt,
    placeholder_image,
    render_key,
    render_mp4,
)
from .render_modes import render_edit, render_extend, render_t2v
from .validation import MAX_REF_AUDIO_SECONDS, REF_VIDEO_SECONDS, VideoInput

CODE_INVALID = 1401


class MediaRejected(Exception):
    """Fetched media that breaks a parameter rule (lengths): the task fails with `code`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Job:
    """One render: its cache key, the worker call, and the seconds the run bills."""

    key: str
    fn: Callable[..., Path]
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    billed_seconds: float = 0.0


def billed_seconds(vin: VideoInput, input_seconds: float | None) -> float:
    """Seconds one run bills: `duration` (extend: the new seconds only); video-edit without
    a duration: its input's length capped at 15 s (15 s when the length is unknown)."""
    if vin.duration is not None:
        return float(vin.duration)
    if input_seconds is None:
        return EDIT_MAX_INPUT_SECONDS
    return min(input_seconds, EDIT_MAX_INPUT_SECONDS)


def render_params(ctx: SimContext, vin: VideoInput) -> RenderParams:
    return RenderParams(
        resolution=vin.resolution,
        aspect_ratio=vin.aspect_ratio,
        duration=vin.duration or 0,
        generate_audio=vin.generate_audio,
        motion=motion_from_prompt(vin.prompt),
        fast=ctx.config.fast,
    )


def _key(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
        h.update(b"|")
    return h.hexdigest()


async def _probe(kind: str, name: str, data: bytes) -> MediaInfo:
    probe = probe_video if kind == "video" else probe_audio
    try:
        return await asyncio.to_thread(probe, data)
    except NotAMedia as exc:
        what = "an MP4/MOV video" if kind == "video" else "an MP3/WAV audio file"
        raise MediaUnavailable(f"{name} is not {what}: {exc}") from exc


def _check_image(name: str, data: bytes) -> None:
    try:
        decode_image(data)
    except NotAnImage as exc:
        raise MediaUnavailable(f"{name} is not an image: {exc}") from exc


def _check_lengths(videos: list[MediaInfo], audios: list[MediaInfo]) -> None:
    low, high = REF_VIDEO_SECONDS
    total = sum(v.seconds for v in videos)
    if videos and not low <= total <= high:
        raise MediaRejected(
            CODE_INVALID,
            f"invalid parameter reference_videos: total length {low:g} ~ {high:g} s, "
            f"got {total:.2f} s",
        )
    total = sum(a.seconds for a in audios)
    if total > MAX_REF_AUDIO_SECONDS:
        raise MediaRejected(
            CODE_INVALID,
            f"invalid parameter reference_audios: total length at most "
            f"{MAX_REF_AUDIO_SECONDS:g} s, got {total:.2f} s",
        )


async def prepare_job(ctx: SimContext, vin: VideoInput) -> Job:
    """Fetch and check the request's media; raises MediaUnavailable or MediaRejected."""
    singles = (("image", vin.image), ("last_image", vin.last_image), ("video", vin.video))
    named: list[tuple[str, str]] = [(name, url) for name, url in singles if url]
    for kind in ("images", "videos", "audios"):
        urls = getattr(vin, f"reference_{kind}")
        named += [(f"reference_{kind}[{i}]", url) for i, url in enumerate(urls)]
    fetched = await asyncio.gather(*(fetch_media(ctx, url) for _, url in named))
    media = dict(zip((name for name, _ in named), fetched, strict=True))
    ref_videos = [
        await _probe("video", f"reference_videos[{i}]", media[f"reference_videos[{i}]"])
        for i in range(len(vin.reference_videos))
    ]
    ref_audios = [
        await _probe("audio", f"reference_audios[{i}]", media[f"reference_audios[{i}]"])
        for i in range(len(vin.reference_audios))
    ]
    _check_lengths(ref_videos, ref_audios)
    for i in range(len(vin.reference_images)):
        name = f"reference_images[{i}]"
        await asyncio.to_thread(_check_image, name, media[name])
    params = render_params(ctx, vin)
    dest = ctx.output_dir
    image, last = media.get("image"), media.get("last_image")
    reference = media.get("reference_images[0]")
    if vin.mode == "i2v":
        key = render_key(image or b"", last, params)
        args = (image, last, vin.prompt, params, dest / f"{key}.mp4")
        return Job(key, _i2v_job, args, billed_seconds=billed_seconds(vin, None))
    if vin.mode == "t2v":
        key = _key("t2v", vin.prompt, image, last, reference, params)
        args = (vin.prompt, params, dest / f"{key}.mp4", image, last, reference)
        return Job(key, _t2v_job, args, billed_seconds=billed_seconds(vin, None))
    video = media["video"]
    info = await _probe("video", "video", video)
    if vin.mode == "extend":
        key = _key("extend", video, last, params)
        args = (video, info, params, dest / f"{key}.mp4", last)
        return Job(key, _extend_job, args, billed_seconds=billed_seconds(vin, None))
    seconds = billed_seconds(vin, info.seconds)
    audios = tuple(media[f"reference_audios[{i}]"] for i in range(len(vin.reference_audios)))
    key = _key("edit", video, seconds, vin.prompt, reference, audios, params)
    args = (video, info, seconds, vin.prompt, params, dest / f"{key}.mp4", reference, audios)
    return Job(key, _edit_job, args, billed_seconds=seconds)


# Worker-thread bodies: decode the images (non-images raise NotAnImage) and encode.
def _i2v_job(
    image: bytes | None, last: bytes | None, prompt: str, params: RenderParams, dest: Path
) -> Path:
    if dest.exists():
        return dest
    start = decode_image(image) if image is not None else placeholder_image(prompt)
    end = decode_image(last) if last is not None else None
    return render_mp4(start, params, dest, last_image=end)


def _t2v_job(
    prompt: str,
    params: RenderParams,
    dest: Path,
    image: bytes | None,
    last: bytes | None,
    reference: bytes | None,
) -> Path:
    if dest.exists():
        return dest
    return render_t2v(
        prompt,
        params,
        dest,
        start=decode_image(image) if image is not None else None,
        last=decode_image(last) if last is not None else None,
        reference=decode_image(reference) if reference is not None else None,
    )


def _extend_job(
    video: bytes, info: MediaInfo, params: RenderParams, dest: Path, last: bytes | None
) -> Path:
    if dest.exists():
        return dest
    end = decode_image(last) if last is not None else None
    return render_extend(video, info, params, dest, last=end)


def _edit_job(
    video: bytes,
    info: MediaInfo,
    seconds: float,
    prompt: str,
    params: RenderParams,
    dest: Path,
    reference: bytes | None,
    audios: tuple[bytes, ...],
) -> Path:
    if dest.exists():
        return dest
    ref = decode_image(reference) if reference is not None else None
    return render_edit(video, info, seconds, prompt, params, dest, reference=ref, audios=audios)
