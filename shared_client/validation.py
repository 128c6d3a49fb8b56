"""The checks every request runs before anything is uploaded, sent or paid.

Each failure is an :class:`InvalidRequestError` naming the field (with the index for list
items, ``reference_images[2]``), the value and what is allowed. Limits come from the
catalogue row of the request's model; a path the catalogue does not know is checked for
well-formed values only and otherwise left to the server.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .catalogue import ModelSpec, ReferenceLimits
from .errors import InvalidRequestError, allowed_values
from .media_probe import Kind, MediaInfo, probe_media

__all__ = [
    "check_bool",
    "check_choice",
    "check_duration",
    "check_extra_params",
    "check_media",
    "check_prompt",
    "check_prompt_tags",
    "check_references",
    "is_remote",
]

_ALLOWED = {
    "image": "an http(s) URL, a data:image/... URI, a path to an existing image file, or image "
    "bytes",
    "video": "an http(s) URL, a path to an existing MP4/MOV file, MP4/MOV bytes, or an open "
    "binary MP4/MOV file",
    "audio": "an http(s) URL, a path to an existing MP3/WAV file, MP3/WAV bytes, or an open "
    "binary MP3/WAV file",
}
_WHAT = {
    "image": "a PNG/JPEG/WebP/GIF/BMP image",
    "video": "an MP4/MOV video",
    "audio": "an MP3/WAV audio file",
}
_TAG = re.compile(r"@(image|video|audio)(\d+)", re.IGNORECASE)


def is_remote(source: object) -> bool:
    """True when the API fetches the source itself (URL or data URI): no upload needed."""
    return isinstance(source, str) and source.startswith(("http://", "https://", "data:"))


def check_prompt(prompt: object) -> None:
    if not isinstance(prompt, str):
        raise InvalidRequestError("prompt", prompt, "a non-empty string", reason="not a string:")
    if not prompt.strip():
        raise InvalidRequestError(
            "prompt",
            prompt,
            "a non-empty string describing scene, action, camera and mood",
            reason="empty",
        )


def check_duration(
    duration: object, limits: tuple[int, int], field: str = "duration", *, known: bool = True
) -> None:
    low, high = limits
    allowed = f"an integer number of seconds from {low} to {high}"
    if isinstance(duration, bool) or not isinstance(duration, int):
        raise InvalidRequestError(field, duration, allowed, reason="not an integer:")
    if known and not low <= duration <= high:
        raise InvalidRequestError(field, duration, allowed, reason="out of range:")


def check_choice(
    field: str, value: object, choices: Sequence[str], *, known: bool = True, also: str = ""
) -> None:
    """``value`` must be one of ``choices`` (any string when the model is not catalogued)."""
    allowed = allowed_values(choices) + also
    if not isinstance(value, str):
        raise InvalidRequestError(field, value, allowed, reason="not a string:")
    if known and value not in choices:
        raise InvalidRequestError(field, value, allowed)


def check_bool(field: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidRequestError(field, value, "True or False", reason="not a boolean:")


def check_media(field: str, source: object, kind: Kind) -> MediaInfo | None:
    """A media input: well formed, existing, of the right kind. Returns what was probed."""
    allowed = _ALLOWED[kind]
    if source is None:
        raise InvalidRequestError(field, source, allowed, reason="missing")
    if isinstance(source, str):
        text = source.strip()
        if not text:
            raise InvalidRequestError(field, source, allowed, reason="empty")
        if text.startswith(("http://", "https://")):
            if not urlsplit(text).hostname:
                raise InvalidRequestError(field, source, allowed, reason="URL without a host:")
            return None
        if text.startswith("data:"):
            if not text.startswith(f"data:{kind}/"):
                raise InvalidRequestError(
                    field, source, allowed, reason=f"data URI is not {_a(kind)}:"
                )
            return None
        if "://" in text:
            raise InvalidRequestError(field, source, allowed, reason="unsupported URL scheme:")
    elif isinstance(source, os.PathLike):
        pass
    elif not isinstance(source, bytes | bytearray) and not hasattr(source, "read"):
        raise InvalidRequestError(field, source, allowed, reason="unsupported type:")
    if isinstance(source, str | os.PathLike) and not Path(os.fspath(source)).is_file():
        raise InvalidRequestError(
            field, os.fspath(source), allowed, reason="neither a URL nor an existing file:"
        )
    info = probe_media(source)
    if info is not None and info.kind != kind:
        if isinstance(source, str | os.PathLike):
            shown: object = os.fspath(source)
            reason = f"file is not {_WHAT[kind]}:"
        elif isinstance(source, bytes | bytearray):
            shown, reason = source, f"bytes are not {_WHAT[kind]}:"
        else:
            shown, reason = describe_source(source), f"file is not {_WHAT[kind]}:"
        raise InvalidRequestError(field, shown, allowed, reason=reason)
    return info


def check_references(
    spec: ModelSpec | None,
    images: Sequence[object],
    videos: Sequence[object],
    audios: Sequence[object],
    *,
    extra_videos: int = 0,
) -> None:
    """Counts, types, sizes and total seconds of the reference lists.

    ``extra_videos`` counts an input video (video-edit) towards "audio needs an image or
    a video". Without a catalogue row only the kinds are checked.
    """
    infos = {
        "image": [check_media(f"reference_images[{i}]", s, "image") for i, s in enumerate(images)],
        "video": [check_media(f"reference_videos[{i}]", s, "video") for i, s in enumerate(videos)],
        "audio": [check_media(f"reference_audios[{i}]", s, "audio") for i, s in enumerate(audios)],
    }
    limits = spec.references if spec is not None else None
    if spec is not None and limits is None and (images or videos or audios):
        field = (
            "reference_images" if images else "reference_videos" if videos else "reference_audios"
        )
        raise InvalidRequestError(field, "...", f"no references: {spec.path} takes none")
    if limits is None:
        return
    _check_counts(limits, len(images), len(videos), len(audios))
    for kind, items in infos.items():
        _check_files(limits, kind, items)
    _check_seconds(limits, infos["video"], infos["audio"])
    if audios and not images and not videos and not extra_videos:
        raise InvalidRequestError(
            "reference_audios",
            f"{len(audios)} file(s)",
            "audio references together with at least one reference image or video",
            reason="audio alone:",
        )


def _check_counts(limits: ReferenceLimits, images: int, videos: int, audios: int) -> None:
    for field, count, most in (
        ("reference_images", images, limits.max_images),
        ("reference_videos", videos, limits.max_videos),
        ("reference_audios", audios, limits.max_audios),
    ):
        if count > most:
            raise InvalidRequestError(
                field, f"{count} items", f"at most {most}", reason="too many:"
            )
    if images + videos + audios > limits.max_files:
        raise InvalidRequestError(
            "references",
            f"{images + videos + audios} files",
            f"at most {limits.max_files} reference files in all",
            reason="too many:",
        )


def _check_files(limits: ReferenceLimits, kind: str, infos: Iterable[MediaInfo | None]) -> None:
    types = {"image": limits.image_types, "video": limits.video_types, "audio": limits.audio_types}
    most = {
        "image": limits.max_image_bytes,
        "video": limits.max_video_bytes,
        "audio": limits.max_audio_bytes,
    }
    for index, info in enumerate(infos):
        if info is None:
            continue  # a URL: the server decides
        field = f"reference_{kind}s[{index}]"
        if info.content_type not in types[kind]:
            raise InvalidRequestError(
                field, info.content_type, allowed_values(types[kind]), reason="file type"
            )
        if info.size > most[kind]:
            raise InvalidRequestError(
                field,
                f"{info.size / 1048576:.1f} MB",
                f"at most {most[kind] // 1048576} MB",
                reason="too large:",
            )


def _check_seconds(
    limits: ReferenceLimits, videos: Sequence[MediaInfo | None], audios: Sequence[MediaInfo | None]
) -> None:
    known_videos = [i.seconds for i in videos if i is not None and i.seconds is not None]
    low, high = limits.video_seconds
    total = sum(known_videos)
    if known_videos and total > high:
        raise InvalidRequestError(
            "reference_videos",
            f"{total:.1f} s in all",
            f"{low:g} to {high:g} seconds of reference video in all",
            reason="too long:",
        )
    if known_videos and len(known_videos) == len(videos) and total < low:
        raise InvalidRequestError(
            "reference_videos",
            f"{total:.1f} s in all",
            f"{low:g} to {high:g} seconds of reference video in all",
            reason="too short:",
        )
    audio_total = sum(i.seconds for i in audios if i is not None and i.seconds is not None)
    if audio_total > limits.max_audio_seconds:
        raise InvalidRequestError(
            "reference_audios",
            f"{audio_total:.1f} s in all",
            f"at most {limits.max_audio_seconds:g} seconds of reference audio in all",
            reason="too long:",
        )


def check_prompt_tags(prompt: str, images: int, videos: int, audios: int) -> None:
    """``@Image3`` must name a reference that exists (1-based, per kind)."""
    counts = {"image": images, "video": videos, "audio": audios}
    for match in _TAG.finditer(prompt):
        kind, number = match.group(1).lower(), int(match.group(2))
        if not 1 <= number <= counts[kind]:
            have = counts[kind]
            allowed = (
                f"@{kind.capitalize()}1 to @{kind.capitalize()}{have}"
                if have
                else f"no @{kind.capitalize()} tags (the request has no {kind} references)"
            )
            raise InvalidRequestError(
                "prompt", match.group(0), allowed, reason="tag names no reference:"
            )


def check_extra_params(extra: object, known_fields: Iterable[str]) -> None:
    if extra is None:
        return
    if not isinstance(extra, Mapping):
        raise InvalidRequestError(
            "extra_params", extra, "a mapping of parameter name to JSON value"
        )
    known = set(known_fields)
    for key in extra:
        if not isinstance(key, str):
            raise InvalidRequestError("extra_params", key, "string keys", reason="non-string key")
        if key in known:
            raise InvalidRequestError(
                "extra_params",
                key,
                "parameters the request does not already have; set it with its own argument",
                reason="duplicates a known parameter:",
            )
    try:
        json.dumps(dict(extra))
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(
            "extra_params",
            extra,
            "JSON-serialisable values",
            reason=f"not JSON-serialisable ({exc}):",
        ) from None


def describe_source(source: Any) -> str:
    """A short, key-free description of a media source for reprs and messages."""
    if isinstance(source, bytes | bytearray):
        return f"<{len(source)} bytes>"
    if hasattr(source, "read") and not isinstance(source, str | os.PathLike):
        return f"<file {getattr(source, 'name', '?')}>"
    text = str(os.fspath(source))
    return text if len(text) <= 60 else text[:57] + "..."


def _a(kind: str) -> str:
    return "an image" if kind == "image" else f"a{'n' if kind == 'audio' else ''} {kind}"
