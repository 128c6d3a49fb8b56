"""From parsed options to a validated request (or a storyboard), and to a client.

Only options the user actually gave are passed on, so every default stays the request
type's own (one source of defaults). Construction validates: a bad field raises
:class:`InvalidRequestError` naming it, before any network or money is involved.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from .. import (
    MODELS,
    ImageToVideoRequest,
    SeedanceClient,
    Storyboard,
    TextToVideoRequest,
    VideoEditRequest,
    VideoExtendRequest,
)
from .exits import UsageError
from .parser import MODES

#: Any request the CLI builds (the face's four types; the CLI imports from the face only).
Request = ImageToVideoRequest | TextToVideoRequest | VideoExtendRequest | VideoEditRequest

_TYPES: dict[str, type[Request]] = {
    "image-to-video": ImageToVideoRequest,
    "text-to-video": TextToVideoRequest,
    "video-extend": VideoExtendRequest,
    "video-edit": VideoEditRequest,
}
_SOURCE_FIELD = {"image-to-video": "image", "video-extend": "video", "video-edit": "video"}
_OPTIONS = {
    "resolution": "resolution",
    "duration": "duration",
    "aspect_ratio": "aspect_ratio",
    "audio": "generate_audio",
    "last_image": "last_image",
}
_LISTS = {
    "reference_image": "reference_images",
    "reference_video": "reference_videos",
    "reference_audio": "reference_audios",
}


def mode_of(args: argparse.Namespace) -> str:
    return MODES[args.mode][0]


def build_request(args: argparse.Namespace) -> Request:
    """The request the options describe, validated by its constructor."""
    mode = mode_of(args)
    if not args.prompt:
        raise UsageError(f"{args.mode}: --prompt is required")
    fields: dict[str, Any] = {"prompt": args.prompt}
    if mode in _SOURCE_FIELD:
        fields[_SOURCE_FIELD[mode]] = args.source
    for option, name in _OPTIONS.items():
        value = getattr(args, option, None)
        if value is not None:
            fields[name] = value
    for option, name in _LISTS.items():
        values = getattr(args, option, None)
        if values:
            fields[name] = tuple(values)
    if args.model:
        fields["model"] = args.model
    elif args.tier:
        paths = [s.path for s in MODELS.values() if s.mode == mode and s.tier == args.tier]
        if not paths:
            raise UsageError(f"{args.mode}: no {args.tier} model for {mode} (see seedance models)")
        fields["model"] = paths[0]
    return _TYPES[mode](**fields)


def load_board(path: str) -> Storyboard:
    """A storyboard file (YAML needs the ``stories`` extra)."""
    if not Path(path).is_file():
        raise UsageError(f"{path}: no such storyboard file")
    try:
        return Storyboard.from_file(path)
    except ImportError as exc:
        raise UsageError(
            f"reading a storyboard needs the stories extra ({exc.name or exc}): "
            "pip install 'seedance-workflows[stories]'"
        ) from None


def api_key(args: argparse.Namespace) -> str | None:
    """The key from ``--api-key-file`` or the environment; never from the command line."""
    path = getattr(args, "api_key_file", None)
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"--api-key-file {path}: {exc.strerror or exc}") from None
    return os.environ.get("WAVESPEED_API_KEY")


def make_client(args: argparse.Namespace) -> SeedanceClient:
    return SeedanceClient(api_key=api_key(args), base_url=getattr(args, "base_url", None))
