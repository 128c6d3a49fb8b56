"""Request and response models, and the validation that runs before anything is paid.

The product page's parameter table is the contract (see DESIGN.md): every constraint in
it is checked here, locally, with a message naming the field, the value and what is
allowed. Parameters the client does not know yet go through ``extra_params`` unchecked,
so the server keeps the last word on anything new.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import urlsplit

from .errors import InvalidRequestError, allowed_values

__all__ = [
    "ASPECT_RATIOS",
    "DEFAULT_MODEL",
    "IMAGE_TO_VIDEO_MODELS",
    "MAX_DURATION",
    "MIN_DURATION",
    "RESOLUTIONS",
    "ImageSource",
    "ImageToVideoRequest",
    "Prediction",
    "PredictionStatus",
    "failure_message",
]

DEFAULT_MODEL = "bytedance/seedance-2.0-mini/image-to-video"
#: The Seedance 2.0 image-to-video family (mini is the contract; the siblings share its table).
IMAGE_TO_VIDEO_MODELS: tuple[str, ...] = (
    DEFAULT_MODEL,
    "bytedance/seedance-2.0/image-to-video",
    "bytedance/seedance-2.0-fast/image-to-video",
)
ASPECT_RATIOS: tuple[str, ...] = ("16:9", "9:16", "4:3", "3:4", "1:1", "21:9")
RESOLUTIONS: tuple[str, ...] = ("480p", "720p", "1080p")
MIN_DURATION = 4
MAX_DURATION = 15

#: An image input: an http(s) URL, a ``data:image/...`` URI, a local path, or raw bytes.
ImageSource: TypeAlias = "str | os.PathLike[str] | bytes"

_KNOWN_FIELDS = frozenset(
    {
        "prompt",
        "image",
        "last_image",
        "aspect_ratio",
        "resolution",
        "duration",
        "enable_web_search",
        "generate_audio",
    }
)
# Magic numbers of the image formats the API is known to take.
_IMAGE_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (0, b"\x89PNG\r\n\x1a\n"),
    (0, b"\xff\xd8\xff"),
    (0, b"GIF87a"),
    (0, b"GIF89a"),
    (0, b"BM"),
    (8, b"WEBP"),
)
_IMAGE_ALLOWED = (
    "an http(s) URL, a data:image/... URI, a path to an existing image file, or image bytes"
)


class PredictionStatus(StrEnum):
    """Status of a prediction, normalised over the spellings the API has used."""

    CREATED = "created"
    QUEUED = "queued"
    PENDING = "pending"
    STARTING = "starting"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    DELETED = "deleted"
    #: A status this client does not know: treated as still in flight, so polling goes on.
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, raw: object) -> PredictionStatus:
        """Map any status the API sends onto a member; unknown values become ``UNKNOWN``."""
        text = str(raw or "").strip().lower()
        if text in ("succeeded", "success"):
            return cls.COMPLETED
        if text == "canceled":
            return cls.CANCELLED
        try:
            return cls(text)
        except ValueError:
            return cls.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_failure(self) -> bool:
        return self in _FAILURES


_FAILURES = frozenset(
    {
        PredictionStatus.FAILED,
        PredictionStatus.CANCELLED,
        PredictionStatus.TIMEOUT,
        PredictionStatus.DELETED,
    }
)
_TERMINAL = _FAILURES | {PredictionStatus.COMPLETED}


@dataclass(frozen=True)
class Prediction:
    """One generation task as the API reports it.

    ``outputs`` are URL strings (objects of the form ``{"url": ...}`` are normalised);
    ``error_code`` is the API's task error code when it gave one.
    """

    id: str
    model: str | None = None
    status: PredictionStatus = PredictionStatus.UNKNOWN
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    error_code: int | None = None
    created_at: str | None = None
    inference_ms: int | None = None
    result_url: str | None = None
    has_nsfw_contents: list[bool] = field(default_factory=list)

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @property
    def is_success(self) -> bool:
        return self.status is PredictionStatus.COMPLETED

    @property
    def is_failure(self) -> bool:
        return self.status.is_failure

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (status as its string value): safe for XCom and events."""
        return {
            "id": self.id,
            "model": self.model,
            "status": self.status.value,
            "outputs": list(self.outputs),
            "error": self.error,
            "error_code": self.error_code,
            "created_at": self.created_at,
            "inference_ms": self.inference_ms,
            "result_url": self.result_url,
            "has_nsfw_contents": list(self.has_nsfw_contents),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Prediction:
        """Inverse of :meth:`to_dict` (tolerates missing keys)."""
        return cls(
            id=str(data["id"]),
            model=data.get("model"),
            status=PredictionStatus.parse(data.get("status")),
            outputs=[str(u) for u in data.get("outputs") or []],
            error=data.get("error"),
            error_code=data.get("error_code"),
            created_at=data.get("created_at"),
            inference_ms=data.get("inference_ms"),
            result_url=data.get("result_url"),
            has_nsfw_contents=[bool(x) for x in data.get("has_nsfw_contents") or []],
        )


def failure_message(prediction: Prediction) -> str:
    """The one wording of "this prediction failed", with the API's code and reason."""
    code = f" (code {prediction.error_code})" if prediction.error_code is not None else ""
    return (
        f"prediction {prediction.id} {prediction.status.value}{code}: "
        f"{prediction.error or 'the API gave no reason'}"
    )


@dataclass(frozen=True)
class ImageToVideoRequest:
    """A Seedance 2.0 image-to-video request, validated when it is built.

    Construction raises :class:`InvalidRequestError` on the first bad field, so a bad
    request never reaches the network (nor the bill).
    """

    prompt: str
    image: ImageSource
    last_image: ImageSource | None = None
    aspect_ratio: str | None = None
    resolution: str = "720p"
    duration: int = 5
    enable_web_search: bool = False
    generate_audio: bool = True
    model: str = DEFAULT_MODEL
    extra_params: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        _check_prompt(self.prompt)
        _check_image("image", self.image)
        if self.last_image is not None:
            _check_image("last_image", self.last_image)
        if self.aspect_ratio is not None and self.aspect_ratio not in ASPECT_RATIOS:
            raise InvalidRequestError(
                "aspect_ratio",
                self.aspect_ratio,
                f"{allowed_values(ASPECT_RATIOS)}, or None to adapt to the image",
            )
        if self.resolution not in RESOLUTIONS:
            raise InvalidRequestError("resolution", self.resolution, allowed_values(RESOLUTIONS))
        _check_duration(self.duration)
        for flag in ("enable_web_search", "generate_audio"):
            value = getattr(self, flag)
            if not isinstance(value, bool):
                raise InvalidRequestError(flag, value, "True or False", reason="not a boolean:")
        if self.model not in IMAGE_TO_VIDEO_MODELS:
            raise InvalidRequestError(
                "model", self.model, allowed_values(IMAGE_TO_VIDEO_MODELS), reason="unknown model"
            )
        _check_extra_params(self.extra_params)

    def image_inputs(self) -> dict[str, ImageSource]:
        """The image fields that are set, by API field name."""
        images: dict[str, ImageSource] = {"image": self.image}
        if self.last_image is not None:
            images["last_image"] = self.last_image
        return images

    def to_body(self, image_urls: Mapping[str, str]) -> dict[str, Any]:
        """The JSON body of the submit, given the URL each image field resolved to."""
        body: dict[str, Any] = {
            "prompt": self.prompt,
            "image": image_urls["image"],
            "resolution": self.resolution,
            "duration": self.duration,
            "enable_web_search": self.enable_web_search,
            "generate_audio": self.generate_audio,
        }
        if "last_image" in image_urls:
            body["last_image"] = image_urls["last_image"]
        if self.aspect_ratio is not None:
            body["aspect_ratio"] = self.aspect_ratio
        body.update(self.extra_params or {})
        return body

    def __repr__(self) -> str:
        images = {k: _describe_image(v) for k, v in self.image_inputs().items()}
        return (
            f"ImageToVideoRequest(model={self.model!r}, prompt={self.prompt[:40]!r}, "
            f"images={images}, resolution={self.resolution!r}, duration={self.duration})"
        )


def is_remote_image(source: ImageSource) -> bool:
    """True when the API can fetch the source itself (URL or data URI): no upload needed."""
    return isinstance(source, str) and (
        source.startswith(("http://", "https://")) or source.startswith("data:")
    )


def looks_like_image(head: bytes) -> bool:
    """True when the leading bytes carry the signature of an image format the API takes."""
    return any(head[offset : offset + len(sig)] == sig for offset, sig in _IMAGE_SIGNATURES)


def _check_prompt(prompt: object) -> None:
    if not isinstance(prompt, str):
        raise InvalidRequestError("prompt", prompt, "a non-empty string", reason="not a string:")
    if not prompt.strip():
        raise InvalidRequestError(
            "prompt",
            prompt,
            "a non-empty string describing scene, action, camera and mood",
            reason="empty",
        )


def _check_duration(duration: object) -> None:
    allowed = f"an integer number of seconds from {MIN_DURATION} to {MAX_DURATION}"
    if isinstance(duration, bool) or not isinstance(duration, int):
        raise InvalidRequestError("duration", duration, allowed, reason="not an integer:")
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise InvalidRequestError("duration", duration, allowed, reason="out of range:")


def _check_image(field_name: str, source: object) -> None:
    if source is None:
        raise InvalidRequestError(field_name, source, _IMAGE_ALLOWED, reason="missing")
    if isinstance(source, bytes | bytearray):
        if not looks_like_image(bytes(source[:16])):
            raise InvalidRequestError(
                field_name,
                source,
                _IMAGE_ALLOWED,
                reason="bytes are not a PNG/JPEG/WebP/GIF/BMP image:",
            )
        return
    if isinstance(source, str):
        text = source.strip()
        if not text:
            raise InvalidRequestError(field_name, source, _IMAGE_ALLOWED, reason="empty")
        if text.startswith(("http://", "https://")):
            if not urlsplit(text).hostname:
                raise InvalidRequestError(
                    field_name, source, _IMAGE_ALLOWED, reason="URL without a host:"
                )
            return
        if text.startswith("data:"):
            if not text.startswith("data:image/"):
                raise InvalidRequestError(
                    field_name, source, _IMAGE_ALLOWED, reason="data URI is not an image:"
                )
            return
        if "://" in text:
            raise InvalidRequestError(
                field_name, source, _IMAGE_ALLOWED, reason="unsupported URL scheme:"
            )
    elif not isinstance(source, os.PathLike):
        raise InvalidRequestError(field_name, source, _IMAGE_ALLOWED, reason="unsupported type:")
    path = Path(os.fspath(source))
    if not path.is_file():
        raise InvalidRequestError(
            field_name, str(path), _IMAGE_ALLOWED, reason="neither a URL nor an existing file:"
        )
    with path.open("rb") as handle:
        head = handle.read(16)
    if not looks_like_image(head):
        raise InvalidRequestError(
            field_name,
            str(path),
            _IMAGE_ALLOWED,
            reason="file is not a PNG/JPEG/WebP/GIF/BMP image:",
        )


def _check_extra_params(extra: object) -> None:
    if extra is None:
        return
    if not isinstance(extra, Mapping):
        raise InvalidRequestError(
            "extra_params", extra, "a mapping of parameter name to JSON value"
        )
    for key in extra:
        if not isinstance(key, str):
            raise InvalidRequestError("extra_params", key, "string keys", reason="non-string key")
        if key in _KNOWN_FIELDS:
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


def _describe_image(source: ImageSource) -> str:
    if isinstance(source, bytes | bytearray):
        return f"<{len(source)} bytes>"
    text = os.fspath(source)
    return text if len(text) <= 60 else text[:57] + "..."
